-- Argo CD health check for raas.dev/ReconJob
-- (argocd-cm key: resource.customizations.health.raas.dev_ReconJob; see README.md here).
--
-- In order, the first that applies:
--   no status, or status/Ready not yet for metadata.generation -> Progressing
--   Ready=False                                               -> Degraded (reason: message)
--   Ready=Unknown or no Ready condition                        -> Progressing
--   last run Failed                                           -> Degraded (which run, why)
--   last run Succeeded but unbalanced                         -> Degraded (which run, counts)
--   schedule suspended                                        -> Suspended
--   otherwise                                                 -> Healthy (Ready message, last run)
-- A run in progress does not make the job Progressing: a nightly run would otherwise turn
-- the Application Progressing every night and hold `argocd app wait --health` and sync waves.
--
-- Argo CD runs user-configured health scripts in gopher-lua (Lua 5.1) with only the base,
-- table and package libraries: no string or math library, so this script formats with
-- `..` and tostring only. It must also work in Lua 5.3 (the tests run it in fengari).
local hs = {}

local function field(t, key)
  if type(t) ~= "table" then return nil end
  return t[key]
end

local function str(v)
  if type(v) == "string" and v ~= "" then return v end
  return nil
end

local function count(counts, key)
  local n = field(counts, key)
  if type(n) == "number" then return n end
  return 0
end

local function describeCounts(counts)
  local parts = { tostring(count(counts, "matched")) .. " matched" }
  local function add(n, what)
    if n > 0 then table.insert(parts, tostring(n) .. " " .. what) end
  end
  add(count(counts, "mismatched"), "mismatched")
  add(count(counts, "leftOnly"), "left-only")
  add(count(counts, "rightOnly"), "right-only")
  add(count(counts, "duplicateKeysLeft") + count(counts, "duplicateKeysRight"), "duplicate keys")
  add(count(counts, "nullKeysLeft") + count(counts, "nullKeysRight"), "null keys")
  return table.concat(parts, ", ")
end

local metadata = field(obj, "metadata")
local status = field(obj, "status")
local generation = field(metadata, "generation")
local name = str(field(metadata, "name")) or "<job>"
local ns = str(field(metadata, "namespace"))
local nsFlag = ""
if ns then nsFlag = " -n " .. ns end

local ready = nil
local conditions = field(status, "conditions")
if type(conditions) == "table" then
  for _, c in ipairs(conditions) do
    if type(c) == "table" and c.type == "Ready" then ready = c end
  end
end

-- The generation the status (and its Ready condition) was computed from.
local function observed(v)
  if type(generation) ~= "number" then return true end
  return type(v) == "number" and v >= generation
end

local function conditionText(c)
  local reason, message = str(c.reason), str(c.message)
  if reason and message then return reason .. ": " .. message end
  return reason or message or ""
end

local function readyOrDefault(default)
  if ready ~= nil and str(ready.message) then return ready.message end
  return default
end

if type(status) ~= "table" then
  hs.status = "Progressing"
  hs.message = "Waiting for the raas operator to report status"
  return hs
end

local readyGeneration = field(ready, "observedGeneration")
if readyGeneration == nil then readyGeneration = status.observedGeneration end
if not observed(status.observedGeneration) or (ready ~= nil and not observed(readyGeneration)) then
  hs.status = "Progressing"
  hs.message = "Waiting for the raas operator to observe generation " .. tostring(generation)
  return hs
end

if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  local text = conditionText(ready)
  if text == "" then text = "Ready is False" end
  hs.message = text
  return hs
end

if ready == nil or ready.status ~= "True" then
  hs.status = "Progressing"
  if ready ~= nil and conditionText(ready) ~= "" then
    hs.message = conditionText(ready)
  else
    hs.message = "Waiting for the Ready condition"
  end
  return hs
end

local lastRun = field(status, "lastRun")
local runName = str(field(lastRun, "name")) or "<run>"
local runPhase = str(field(lastRun, "phase"))
local windowStart = str(field(field(lastRun, "window"), "start"))
local forWindow = ""
if windowStart then forWindow = " (window from " .. windowStart .. ")" end

if runPhase == "Failed" then
  hs.status = "Degraded"
  hs.message = "Last run " .. runName .. forWindow .. " failed; see kubectl recon runs " .. name .. nsFlag
  return hs
end

if runPhase == "Succeeded" and field(lastRun, "balanced") == false then
  hs.status = "Degraded"
  local counts = field(lastRun, "counts")
  local detail = ""
  if type(counts) == "table" then detail = ": " .. describeCounts(counts) end
  hs.message = "Last run " .. runName .. forWindow .. " is unbalanced" .. detail .. "; see kubectl recon results " .. runName .. nsFlag
  return hs
end

local schedule = field(field(obj, "spec"), "schedule")
if field(schedule, "suspend") == true or ready.reason == "Suspended" then
  hs.status = "Suspended"
  hs.message = readyOrDefault("The schedule is suspended")
  return hs
end

hs.status = "Healthy"
local text = readyOrDefault("Ready")
if runPhase == "Succeeded" then
  text = text .. "; last run " .. runName .. " balanced"
elseif runPhase ~= nil then
  text = text .. "; last run " .. runName .. " " .. runPhase
end
hs.message = text
return hs
