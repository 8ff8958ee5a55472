-- Like post.lua, but each connection waits about DELAY_MS (environment) between requests, so the
-- offered rate is about connections * 1000 / DELAY_MS. Each pause is drawn uniformly from
-- 0.5–1.5 × DELAY_MS: with a fixed pause the connections, all started together, stay in step and
-- arrive as one burst per period, which measures a burst of N requests rather than a steady rate.
-- PACING=fixed keeps the fixed pause (the burst case).
dofile(os.getenv("BENCH_DIR") .. "/post.lua")
local pause = tonumber(os.getenv("DELAY_MS") or "2")
local fixed = os.getenv("PACING") == "fixed"
function delay()
  if fixed then return pause end
  return math.floor(pause * (0.5 + math.random()) + 0.5)
end
