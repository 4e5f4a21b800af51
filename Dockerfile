# The broker as a container image (docs/DEPLOY.md):
#   podman build -t tachikoma-broker --build-arg VERSION=$(git describe --tags --always) .
#   podman run -d --name tachikoma -p 1883:1883 -p 8083:8083 -p 8080:8080 \
#     -v tachikoma-data:/var/lib/tachikoma tachikoma-broker
# Admin commands run inside it: podman exec -it tachikoma tachikoma-broker user add alice
# Another config: -v ./broker.yaml:/etc/tachikoma/broker.yaml:ro

# Build with the Go release go.mod pins. cgo is needed for SQLite; the
# binary is linked statically so that the image holds nothing else.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN mkdir -p /out/var/lib/tachikoma /out/tmp && chmod 1777 /out/tmp && \
    CGO_ENABLED=1 go build -trimpath \
      -tags 'osusergo netgo sqlite_omit_load_extension timetzdata' \
      -ldflags "-s -w -linkmode external -extldflags -static -X main.version=${VERSION}" \
      -o /out/tachikoma-broker ./broker/cmd/tachikoma-broker

# The runtime image: the static binary, CA roots (for ACME), the config.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build --chown=65532:65532 /out/var/lib/tachikoma /var/lib/tachikoma
COPY --from=build /out/tachikoma-broker /usr/local/bin/tachikoma-broker
COPY configs/container-broker.yaml /etc/tachikoma/broker.yaml
# Not root: uid 65532 owns only the data volume.
USER 65532:65532
VOLUME ["/var/lib/tachikoma"]
# MQTT, MQTT over WebSocket, HTTP API and web client; 8883 for MQTT over TLS.
EXPOSE 1883 8083 8080 8883
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/tachikoma-broker", "health", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/tachikoma-broker"]
CMD ["serve", "--config", "/etc/tachikoma/broker.yaml"]
