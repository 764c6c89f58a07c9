# consultd in a container: a static binary on distroless (no shell, runs as
# uid 65532). Build: docker build -t consultd .
# Run:   docker run -v $PWD/config.yaml:/etc/consultd/config.yaml:ro \
#                   -v consultd-data:/var/lib/consultd consultd
# Relative paths in the config resolve against /etc/consultd (read-only), so
# point database and publish_dir at the volume:
#   database: /var/lib/consultd/consultd.db
#   publish_dir: /var/lib/consultd/published

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/consultd ./cmd/consultd \
 && mkdir -p /out/data /out/etc/templates \
 && cp -r templates/en templates/ar /out/etc/templates/

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/consultd /consultd
# The templates are also embedded in the binary; these copies are the
# starting point for templates_dir overrides.
COPY --from=build /out/etc/templates /etc/consultd/templates
COPY configs/example.yaml /etc/consultd/example.yaml
COPY --from=build --chown=65532:65532 /out/data /var/lib/consultd
USER 65532:65532
WORKDIR /var/lib/consultd
VOLUME ["/var/lib/consultd"]
ENTRYPOINT ["/consultd"]
CMD ["run", "--config", "/etc/consultd/config.yaml"]
