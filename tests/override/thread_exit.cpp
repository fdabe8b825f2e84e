// Thread exit under LD_PRELOAD: 2000 short-lived threads, each leaving work for the exit
// path: a thread_local string (destroyed before the TSD destructors), a pthread key whose
// destructor frees and allocates after hakmem's own exit handler ran, and a pending dlerror
// message that glibc frees after every TSD destructor. Threads run one at a time, so hakmem
// should recycle two heaps, not take a new one per thread.
#include <dlfcn.h>
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

constexpr int kThreads = 2000;
pthread_key_t g_key;
thread_local std::string t_text;

void key_destructor(void* value) {
  free(value);
  void* again = malloc(100);  // allocating after hakmem's exit handler must work too
  std::memset(again, 1, 100);
  free(again);
}

void thread_body(int i) {
  t_text.assign(static_cast<size_t>(500 + i % 100), 'x');
  pthread_setspecific(g_key, malloc(64));
  void* p = malloc(static_cast<size_t>(1 + i % 5000));
  free(p);
  dlsym(RTLD_DEFAULT, "hakmem_no_such_symbol");  // leaves a message for glibc to free
}

}  // namespace

int main() {
  pthread_key_create(&g_key, key_destructor);
  for (int i = 0; i < kThreads; ++i) std::thread(thread_body, i).join();
  std::printf("%d threads exited\n", kThreads);
  return 0;
}
