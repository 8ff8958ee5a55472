#ifndef HEARKEN_CNET_H
#define HEARKEN_CNET_H
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

// Thin wrappers around Linux calls that Glibc's Swift module does not export.
// struct epoll_event is packed on x86_64, so the event array lives on the C side.

typedef struct cnet_events cnet_events;

int cnet_epoll_create(void);
// events: bit 0 = readable, bit 1 = writable. token: caller's 64-bit identifier.
int cnet_epoll_add(int epfd, int fd, uint32_t interest, uint64_t token);
int cnet_epoll_mod(int epfd, int fd, uint32_t interest, uint64_t token);
int cnet_epoll_add_exclusive(int epfd, int fd, uint64_t token);
int cnet_epoll_del(int epfd, int fd);

cnet_events *cnet_events_new(int capacity);
void cnet_events_free(cnet_events *events);
// Returns the number of ready events, or -1 with errno set.
int cnet_epoll_wait(int epfd, cnet_events *events, int timeout_ms);
uint64_t cnet_event_token(const cnet_events *events, int index);
// Bit 0 readable, bit 1 writable, bit 2 hang-up or error.
uint32_t cnet_event_flags(const cnet_events *events, int index);

int cnet_eventfd(void);
int cnet_eventfd_signal(int fd);
void cnet_eventfd_drain(int fd);

// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC.
int cnet_accept(int listen_fd, struct sockaddr_storage *address, socklen_t *length);
// socket() with SOCK_NONBLOCK | SOCK_CLOEXEC.
int cnet_socket(int domain);
ssize_t cnet_send(int fd, const void *bytes, size_t count);
int cnet_set_nodelay(int fd);
int cnet_set_reuseaddr(int fd);
int cnet_set_v6only(int fd, int on);
uint64_t cnet_monotonic_ms(void);
uint64_t cnet_monotonic_ns(void);
int64_t cnet_realtime_seconds(void);


// Raises the soft open-file limit to the hard limit; returns the new soft limit.
long cnet_raise_nofile_limit(void);
// Writes the numeric host of an address into buf; returns 0 on success.
int cnet_format_address(const struct sockaddr_storage *address, char *buf, size_t length);
void cnet_ignore_sigpipe(void);
// Binds and listens; returns the fd or -1 with errno set. v6only applies to IPv6 only.
int cnet_listen(const struct sockaddr *address, socklen_t length, int backlog, int v6only);
// The port a bound socket listens on, or -1.
int cnet_local_port(int fd);
#endif
