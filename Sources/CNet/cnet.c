#define _GNU_SOURCE
#include "cnet.h"
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

struct cnet_events {
    int capacity;
    struct epoll_event items[];
};

static uint32_t to_epoll(uint32_t interest) {
    uint32_t flags = 0;
    if (interest & 1u) flags |= EPOLLIN | EPOLLRDHUP;
    if (interest & 2u) flags |= EPOLLOUT;
    return flags;
}

int cnet_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cnet_epoll_add(int epfd, int fd, uint32_t interest, uint64_t token) {
    struct epoll_event ev = { .events = to_epoll(interest), .data.u64 = token };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int cnet_epoll_mod(int epfd, int fd, uint32_t interest, uint64_t token) {
    struct epoll_event ev = { .events = to_epoll(interest), .data.u64 = token };
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

int cnet_epoll_add_exclusive(int epfd, int fd, uint64_t token) {
    struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = token };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int cnet_epoll_del(int epfd, int fd) {
    struct epoll_event ev = { 0 };
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

cnet_events *cnet_events_new(int capacity) {
    cnet_events *events = malloc(sizeof(cnet_events) + sizeof(struct epoll_event) * (size_t)capacity);
    if (events) events->capacity = capacity;
    return events;
}

void cnet_events_free(cnet_events *events) { free(events); }

int cnet_epoll_wait(int epfd, cnet_events *events, int timeout_ms) {
    int n;
    do {
        n = epoll_wait(epfd, events->items, events->capacity, timeout_ms);
    } while (n < 0 && errno == EINTR);
    return n;
}

uint64_t cnet_event_token(const cnet_events *events, int index) { return events->items[index].data.u64; }

uint32_t cnet_event_flags(const cnet_events *events, int index) {
    uint32_t e = events->items[index].events, flags = 0;
    if (e & (EPOLLIN | EPOLLRDHUP)) flags |= 1u;
    if (e & EPOLLOUT) flags |= 2u;
    if (e & (EPOLLHUP | EPOLLERR)) flags |= 4u;
    return flags;
}

int cnet_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int cnet_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t n;
    do { n = write(fd, &one, sizeof one); } while (n < 0 && errno == EINTR);
    return n == sizeof one ? 0 : -1;
}

void cnet_eventfd_drain(int fd) {
    uint64_t value;
    while (read(fd, &value, sizeof value) > 0) {}
}

int cnet_accept(int listen_fd, struct sockaddr_storage *address, socklen_t *length) {
    int fd;
    do {
        *length = sizeof(struct sockaddr_storage);
        fd = accept4(listen_fd, (struct sockaddr *)address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

int cnet_socket(int domain) { return socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

ssize_t cnet_send(int fd, const void *bytes, size_t count) {
    ssize_t n;
    do { n = send(fd, bytes, count, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n;
}

int cnet_set_nodelay(int fd) {
    int on = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

int cnet_set_reuseaddr(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
}

int cnet_set_v6only(int fd, int on) { return setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on); }

uint64_t cnet_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cnet_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t cnet_realtime_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (int64_t)ts.tv_sec;
}

#include <signal.h>
#include <arpa/inet.h>
#include <sys/resource.h>

long cnet_raise_nofile_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
    }
    return (long)limit.rlim_cur;
}

int cnet_format_address(const struct sockaddr_storage *address, char *buf, size_t length) {
    const void *source;
    if (address->ss_family == AF_INET) {
        source = &((const struct sockaddr_in *)address)->sin_addr;
    } else if (address->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        // Report IPv4-mapped addresses (dual-stack sockets) in their IPv4 form.
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            return inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], buf, (socklen_t)length) ? 0 : -1;
        }
        source = &v6->sin6_addr;
    } else {
        return -1;
    }
    return inet_ntop(address->ss_family, source, buf, (socklen_t)length) ? 0 : -1;
}

void cnet_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

int cnet_listen(const struct sockaddr *address, socklen_t length, int backlog, int v6only) {
    int fd = cnet_socket(address->sa_family);
    if (fd < 0) return -1;
    cnet_set_reuseaddr(fd);
    if (address->sa_family == AF_INET6) cnet_set_v6only(fd, v6only);
    if (bind(fd, address, length) != 0 || listen(fd, backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int cnet_local_port(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    if (address.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&address)->sin_port);
    if (address.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return -1;
}
