// The Kubernetes types these pure functions read and write, from @kubernetes/client-node
// (types only: nothing here loads the client at run time).
//
// The client declares timestamps as Date, but only objects it deserialises itself carry
// Date values; objects from informer watch streams carry the
// RFC 3339 strings of the wire. Every reader here accepts both (see Timestamp).
export type {
  V1Container,
  V1ContainerState,
  V1ContainerStateTerminated,
  V1ContainerStatus,
  V1CronJob,
  V1EnvVar,
  V1Job,
  V1JobCondition,
  V1ObjectMeta,
  V1OwnerReference,
  V1Pod,
  V1PodSpec,
  V1SecurityContext,
} from '@kubernetes/client-node';

export type Timestamp = Date | string;
