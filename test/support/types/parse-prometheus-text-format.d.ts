// The package ships no types; this is the shape its README documents.
declare module 'parse-prometheus-text-format' {
  export interface PromMetricSample {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface PromMetricFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PromMetricSample[];
  }
  export default function parsePrometheusTextFormat(text: string): PromMetricFamily[];
}
