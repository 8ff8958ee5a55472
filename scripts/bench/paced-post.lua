-- Like post.lua, but each connection waits DELAY_MS (environment) between requests,
-- so the offered rate is about connections * 1000 / DELAY_MS.
dofile(os.getenv("BENCH_DIR") .. "/post.lua")
local pause = tonumber(os.getenv("DELAY_MS") or "2")
function delay()
  return pause
end
