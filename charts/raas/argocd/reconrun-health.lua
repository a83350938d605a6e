-- Argo CD health check for raas.dev/ReconRun
-- (argocd-cm key: resource.customizations.health.raas.dev_ReconRun; see README.md here).
--
--   Succeeded + balanced      -> Healthy
--   Succeeded + unbalanced    -> Degraded, with the counts (a finance team must see it)
--   Failed                    -> Degraded, with status.message
--   Pending, Running, none    -> Progressing
--   anything else             -> Unknown
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

-- "10 matched, 3 mismatched, 1 left-only" (like the operator's own status message).
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

local function window()
  local w = field(field(obj, "spec"), "window")
  local s, e = str(field(w, "start")), str(field(w, "end"))
  if s and e then return " for window " .. s .. " to " .. e end
  if s then return " for window from " .. s end
  return ""
end

local function howToLook()
  local name = str(field(field(obj, "metadata"), "name")) or "<run>"
  local ns = str(field(field(obj, "metadata"), "namespace"))
  if ns then return "kubectl recon results " .. name .. " -n " .. ns end
  return "kubectl recon results " .. name
end

local status = field(obj, "status")
local phase = str(field(status, "phase"))
local message = str(field(status, "message"))

if phase == nil or phase == "Pending" then
  hs.status = "Progressing"
  hs.message = message or "Waiting for the raas operator to start the run"
elseif phase == "Running" then
  hs.status = "Progressing"
  hs.message = message or "The runner is running"
elseif phase == "Failed" then
  hs.status = "Degraded"
  local stage = str(field(status, "failedStage"))
  if message then
    hs.message = "Failed: " .. message
  elseif stage then
    hs.message = "Failed in stage " .. stage
  else
    hs.message = "Failed"
  end
elseif phase == "Succeeded" then
  local balanced = field(status, "balanced")
  local counts = field(status, "counts")
  if balanced == true then
    hs.status = "Healthy"
    hs.message = "Balanced: " .. describeCounts(counts) .. window()
  elseif balanced == false then
    hs.status = "Degraded"
    if type(counts) == "table" then
      hs.message = "Unbalanced: " .. describeCounts(counts) .. window() .. "; see " .. howToLook()
    else
      hs.message = "Unbalanced" .. window() .. ": " .. (message or "no counts in status") .. "; see " .. howToLook()
    end
  else
    hs.status = "Unknown"
    hs.message = "Succeeded, but status.balanced is missing"
  end
else
  hs.status = "Unknown"
  hs.message = "Unknown phase " .. phase
end

return hs
