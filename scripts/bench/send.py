# usage: send.py PORT KIND N: N keep-alive requests of KIND (healthz, bad: a 400, post: a durable POST) on one connection
import http.client, sys, json
port, kind, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
pages = ["/docs/api/auth", "/docs/guides/limits", "/docs/cli/examples", "/docs/sdk/overview"]
for i in range(n):
    if kind == "healthz":
        c.request("GET", "/healthz")
    else:
        rating = "sideways" if kind == "bad" else ("up" if i % 2 else "down")
        body = '{"page":"%s","rating":"%s","reason":"outdated","comment":"The example token has expired.","source":"docs"}' % (pages[i % 4], rating)
        c.request("POST", "/v1/feedback", body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    want = {"healthz": 200, "bad": 400, "post": 201}[kind]
    if r.status != want: print("unexpected", r.status, file=sys.stderr); sys.exit(1)
