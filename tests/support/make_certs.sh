#!/usr/bin/env bash
# make_certs.sh DIR: a test CA, a server certificate it signs for localhost and 127.0.0.1,
# and a second, unrelated CA (for "wrong CA" cases). EC keys: quick to make.
set -euo pipefail
d=$1
mkdir -p "$d"
cd "$d"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj "/CN=notify test CA" 2>/dev/null
openssl req -x509 $ec -keyout other-ca.key -out other-ca.pem -days 2 -subj "/CN=notify other CA" 2>/dev/null
openssl req $ec -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
    -extfile server.ext 2>/dev/null
# Signed by the right CA, but for another host name.
openssl req $ec -keyout wrong-host.key -out wrong-host.csr -subj "/CN=wrong.test" 2>/dev/null
printf 'subjectAltName=DNS:wrong.test\nbasicConstraints=CA:FALSE\n' > wrong-host.ext
openssl x509 -req -in wrong-host.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out wrong-host.pem -days 2 \
    -extfile wrong-host.ext 2>/dev/null
