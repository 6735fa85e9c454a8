#include "core/thread_name.h"

#include <pthread.h>

namespace telecollect {

void NameThisThread(std::string_view name) {
  char buf[16];  // the kernel's limit, terminator included
  const size_t n = name.copy(buf, sizeof buf - 1);
  buf[n] = '\0';
  pthread_setname_np(pthread_self(), buf);
}

std::string ThisThreadName() {
  char buf[16] = {};
  if (pthread_getname_np(pthread_self(), buf, sizeof buf) != 0) return "";
  return buf;
}

}  // namespace telecollect
