/* A bench-only HTTP server that answers every request with the same canned bytes, from
 * memory: what it costs is close to nothing, so a client's CPU measured against it is the
 * client's own (bench/run, "client CPU per call"). Loopback only; one connection at a time,
 * kept alive; GET requests without a body.
 *
 *   canned_server BODY_FILE      prints the port, then serves until killed */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: canned_server BODY_FILE\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 1; }
  static char body[1 << 22];
  size_t len = fread(body, 1, sizeof body, f);
  fclose(f);
  static char answer[(1 << 22) + 256];
  int head = snprintf(answer, 256,
      "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
      "Content-Length: %zu\r\n\r\n", len);
  memcpy(answer + head, body, len);
  size_t total = head + len;

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 16)) {
    perror("bind"); return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(listener, (struct sockaddr *)&addr, &alen);
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  for (;;) {
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) continue;
    int one = 1;
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[65536];
    size_t have = 0;
    for (;;) {
      ssize_t n = read(conn, req + have, sizeof req - have - 1);
      if (n <= 0) break;
      have += n;
      req[have] = 0;
      char *end;
      /* Answer each complete request head; keep what follows for the next one. */
      while ((end = strstr(req, "\r\n\r\n")) != NULL) {
        size_t used = end + 4 - req;
        size_t sent = 0;
        while (sent < total) {
          ssize_t w = write(conn, answer + sent, total - sent);
          if (w <= 0) goto next;
          sent += w;
        }
        memmove(req, req + used, have - used);
        have -= used;
        req[have] = 0;
      }
      if (have == sizeof req - 1) break;
    }
  next:
    close(conn);
  }
}
