# Sourced by the scripts that run the Design Toolkit on this machine: without DT_SECRET_KEY in
# the environment, this checkout's own key (var/secret_key: made once, readable by its owner only,
# never committed), so sessions outlive a restart.
if [ -z "${DT_SECRET_KEY:-}" ]; then
  if [ ! -s var/secret_key ]; then
    mkdir -p var
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(50))' >var/secret_key)
  fi
  DT_SECRET_KEY=$(cat var/secret_key)
  export DT_SECRET_KEY
fi
