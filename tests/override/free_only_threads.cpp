// Threads that only free: the main thread allocates every block, then plain pthreads (no
// std::thread, whose start-up allocates) check and free them. Under LD_PRELOAD every one of
// those frees is a cross-thread free into hakmem from a thread that never called malloc.
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kThreads = 4;
constexpr int kBlocksPerThread = 50000;

struct Work {
  unsigned char** blocks;
  size_t* sizes;
  int count;
  long corrupt;
};

size_t size_for(int i) {
  if (i % 5000 == 0) return 200000 + static_cast<size_t>(i);  // a large object now and then
  return 1 + static_cast<size_t>(i * 37) % 4000;
}

unsigned char byte_for(int i) {
  return static_cast<unsigned char>(i * 13 + 7);
}

void* free_all(void* arg) {
  auto* work = static_cast<Work*>(arg);
  for (int i = 0; i < work->count; ++i) {
    unsigned char* p = work->blocks[i];
    if (p[0] != byte_for(i) || p[work->sizes[i] - 1] != byte_for(i)) ++work->corrupt;
    free(p);
  }
  return nullptr;
}

}  // namespace

int main() {
  static Work work[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    work[t].count = kBlocksPerThread;
    work[t].blocks =
        static_cast<unsigned char**>(malloc(sizeof(unsigned char*) * kBlocksPerThread));
    work[t].sizes = static_cast<size_t*>(malloc(sizeof(size_t) * kBlocksPerThread));
    for (int i = 0; i < kBlocksPerThread; ++i) {
      size_t size = size_for(i);
      auto* p = static_cast<unsigned char*>(malloc(size));
      if (p == nullptr) return 2;
      std::memset(p, byte_for(i), size);
      work[t].blocks[i] = p;
      work[t].sizes[i] = size;
    }
  }
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; ++t) pthread_create(&threads[t], nullptr, free_all, &work[t]);
  long corrupt = 0;
  for (int t = 0; t < kThreads; ++t) {
    pthread_join(threads[t], nullptr);
    corrupt += work[t].corrupt;
  }
  // The main thread allocates again: the blocks other threads freed are reusable.
  for (int i = 0; i < 100000; ++i) {
    void* p = malloc(size_for(i));
    if (p == nullptr) return 3;
    free(p);
  }
  std::printf("freed %d blocks in %d free-only threads, corrupt %ld\n", kThreads * kBlocksPerThread,
              kThreads, corrupt);
  return corrupt == 0 ? 0 : 1;
}
