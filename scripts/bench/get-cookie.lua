-- wrk script: GET with the dashboard session cookie (COOKIE from the environment, `hearken_session=…`).
wrk.headers["Cookie"] = os.getenv("COOKIE")
