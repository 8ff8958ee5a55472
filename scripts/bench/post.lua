-- wrk script: POST /v1/feedback with JSON bodies drawn from a long tail of pages
-- (Zipf-like: a few pages get most votes), both ratings, and a comment on some.
local requests = {}
local counter = 0
local sections = { "guides", "api", "reference", "tutorials", "sdks", "concepts" }
local reasons = { "outdated", "inaccurate", "good-examples", "missing-information", "solved-my-problem" }

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  for i = 1, 500 do
    -- page rank r is chosen with weight ~ 1/r by repeating low ranks
    local rank = math.floor(1 / (math.random() * 0.995 + 0.005))
    local page = string.format("https://docs.example.com/%s/topic-%d/page-%d", sections[(rank % #sections) + 1], math.floor(rank / 6), rank)
    local rating = (math.random() < 0.7) and "up" or "down"
    local comment = ""
    if math.random() < 0.2 then comment = ',"comment":"The example token has expired and the snippet returns 401."' end
    local body = string.format('{"page":"%s","rating":"%s","reason":"%s","source":"docs"%s}',
      page, rating, reasons[(i % #reasons) + 1], comment)
    requests[#requests + 1] = wrk.format("POST", "/v1/feedback", headers, body)
  end
  counter = math.random(#requests) - 1
end

function request()
  counter = (counter + 7) % #requests
  return requests[counter + 1]
end
