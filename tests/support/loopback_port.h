#pragma once

// Loopback TCP ports for tests of the ranks' rendezvous: one held by the test (a port in use),
// and one free to hand to gearhost.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace gear::test {

/// A listening socket on 127.0.0.1 at a port the kernel picks, held until destroyed: a port
/// another program has taken.
class HeldPort {
 public:
  HeldPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(fd_, 4) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot take a loopback port for the test");
    port_ = ntohs(address.sin_port);
  }
  ~HeldPort() { close(fd_); }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;

  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

/// A port nobody listens on now (taken, then released at once).
inline int free_port() { return HeldPort().port(); }

}  // namespace gear::test
