-- wrk script: GET with an Authorization header (TOKEN from the environment).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
