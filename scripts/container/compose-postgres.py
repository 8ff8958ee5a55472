#!/usr/bin/env python3
"""make test-container: what docker/compose.postgres.yaml promises beyond the compose schema.
PostgreSQL 15 with a named volume and a pg_isready health check over TCP; at least two Hearken instances that
wait for it to be healthy and name it in HEARKEN_DB; no password written in the file."""
import re, sys, yaml

path = sys.argv[1] if len(sys.argv) > 1 else "docker/compose.postgres.yaml"
compose = yaml.safe_load(open(path))
services, problems = compose.get("services", {}), []
postgres = services.get("postgres") or {}
if not str(postgres.get("image", "")).startswith("postgres:15"):
    problems.append(f"postgres image is {postgres.get('image')!r}, not postgres:15")
test = postgres.get("healthcheck", {}).get("test", [])
words = " ".join(test if isinstance(test, list) else [test])
if "pg_isready" not in words:
    problems.append("the postgres health check does not run pg_isready")
elif not re.search(r"(-h|--host)[ =]127\.0\.0\.1\b", words):
    # Without a TCP host pg_isready asks the Unix socket, which answers during the image's init phase.
    problems.append("the postgres health check does not ask over TCP (pg_isready -h 127.0.0.1)")
mounts = [str(v).split(":") for v in postgres.get("volumes", [])]
if not any(m[0] in (compose.get("volumes") or {}) and m[1] == "/var/lib/postgresql/data" for m in mounts if len(m) > 1):
    problems.append("no named volume on /var/lib/postgresql/data")
secret_like = re.compile(r"^\$\{[A-Z_]+(:?[-?][^}]*)?\}$")
for name, service in services.items():
    for key, value in (service.get("environment") or {}).items():
        if "PASSWORD" in key and not key.endswith("_FILE") and not secret_like.match(str(value)):
            problems.append(f"{name}: {key} is written in the file; take it from the environment (${{…}})")
instances = {n: s for n, s in services.items() if str((s.get("environment") or {}).get("HEARKEN_DB", "")).startswith(("postgres://", "postgresql://"))}
if len(instances) < 2:
    problems.append(f"{len(instances)} Hearken instance(s) on PostgreSQL; two are promised")
ports = []
for name, service in instances.items():
    url = service["environment"]["HEARKEN_DB"]
    if re.match(r"^postgres(ql)?://[^/@]*:[^/@]*@", url):
        problems.append(f"{name}: HEARKEN_DB holds a password")
    if "@postgres:" not in url and "@postgres/" not in url:
        problems.append(f"{name}: HEARKEN_DB does not name the postgres service")
    if (service.get("depends_on") or {}).get("postgres", {}).get("condition") != "service_healthy":
        problems.append(f"{name}: does not wait for postgres to be healthy")
    if service.get("read_only") is not True or service.get("cap_drop") != ["ALL"]:
        problems.append(f"{name}: not read_only with cap_drop ALL like compose.yaml")
    ports += [str(p).split(":")[0] for p in service.get("ports", [])]
if len(ports) != len(set(ports)):
    problems.append(f"instances share a host port: {ports}")
if problems:
    sys.exit(f"{path}: " + "; ".join(problems))
print(f"{path} ok: postgres:15 with a volume and pg_isready; {len(instances)} instances ({', '.join(instances)}) wait for it; no password in the file")
