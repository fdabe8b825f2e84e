/* fork and exec from a preloaded process: while two threads allocate, the process forks
 * children that allocate (with a new thread too) and exit, children that exec this program
 * again (which starts on a fresh libhakmem.so), and runs system(). Every process prints what
 * it did; the driver checks the lines and each process's counters. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;

static int churn(int rounds, unsigned seed) {
  void* slots[256] = {0};
  for (int i = 0; i < rounds; ++i) {
    unsigned k = (seed + (unsigned)i * 2654435761u) >> 8;
    size_t size = 1 + k % 20000;
    void** slot = &slots[k % 256];
    free(*slot);
    *slot = malloc(size);
    if (*slot == NULL) return 0;
    memset(*slot, (int)(k & 0xff), size);
  }
  for (int i = 0; i < 256; ++i) free(slots[i]);
  return 1;
}

static void* busy(void* arg) {
  unsigned seed = (unsigned)(size_t)arg;
  while (!atomic_load(&stop)) churn(1000, seed++);
  return NULL;
}

static void* child_thread(void* arg) {
  (void)arg;
  return churn(20000, 99) ? (void*)1 : NULL;
}

/* A forked child that keeps running this program's code, then exits normally. */
static void forked_child(int n) {
  alarm(20); /* a deadlock inherited from the parent fails the test instead of hanging it */
  pthread_t t;
  void* ok = NULL;
  if (!churn(50000, (unsigned)n) || pthread_create(&t, NULL, child_thread, NULL) != 0) exit(3);
  pthread_join(t, &ok);
  if (ok == NULL) exit(4);
  printf("fork child %d ok\n", n);
  exit(0);
}

static int wait_ok(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--exec-child") == 0) {
    if (!churn(50000, 7)) return 5;
    printf("exec child %s ok\n", argv[2]);
    return 0;
  }
  setvbuf(stdout, NULL, _IONBF, 0); /* children must not inherit buffered output */
  pthread_t threads[2];
  for (int i = 0; i < 2; ++i) pthread_create(&threads[i], NULL, busy, (void*)(size_t)(i * 1000));

  int failures = 0;
  for (int n = 0; n < 3; ++n) {
    pid_t pid = fork();
    if (pid == 0) forked_child(n);
    if (pid < 0 || !wait_ok(pid)) ++failures;
  }
  for (int n = 0; n < 3; ++n) {
    pid_t pid = fork();
    if (pid == 0) {
      char num[16];
      snprintf(num, sizeof num, "%d", n);
      char* heap_arg = strdup(num); /* allocate in the child before exec */
      execl("/proc/self/exe", argv[0], "--exec-child", heap_arg, (char*)NULL);
      _exit(6);
    }
    if (pid < 0 || !wait_ok(pid)) ++failures;
  }
  /* posix_spawn (vfork) runs sh, which execs echo: each starts on a fresh libhakmem.so. */
  if (system("exec /bin/echo system child ok") != 0) ++failures;

  atomic_store(&stop, 1);
  for (int i = 0; i < 2; ++i) pthread_join(threads[i], NULL);
  if (!churn(10000, 5)) ++failures;
  printf("parent: %d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
