-- wrk script: PATCH one record's triage status back and forth (TOKEN with triage scope from the environment).
wrk.method = "PATCH"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
local bodies = { '{"status":"triaged","note":"bench"}', '{"status":"new","note":null}' }
local n = 0
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n % 2) + 1])
end
