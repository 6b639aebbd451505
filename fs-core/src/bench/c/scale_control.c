// The machine's own two-thread scaling, the control for issue 11.1 (docs/BENCHMARKS.md): ns per step
// of an ALU loop and of a pointer chase over a random cycle of 1-128 MiB per thread (64-byte nodes),
// with 1 thread and with 2 at once (each its own buffer, each pinned to its CPU).
// gcc -O2 -pthread -o /tmp/scale_control scale_control.c && /tmp/scale_control [ROUNDS]
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include <sched.h>
typedef struct { size_t bytes; long steps; int cpu; double ns; int alu; } job;
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
static void *run(void *a){ job *j=a; cpu_set_t s; CPU_ZERO(&s); CPU_SET(j->cpu,&s); sched_setaffinity(0,sizeof s,&s);
  if(j->alu){ volatile uint64_t x=1; double t0=now(); uint64_t y=x; for(long i=0;i<j->steps;i++){ y=y*6364136223846793005ULL+1442695040888963407ULL; y^=y>>29;} x=y; j->ns=(now()-t0)/j->steps; return 0; }
  size_t n=j->bytes/64; uint64_t *buf=aligned_alloc(64,n*64); size_t *perm=malloc(n*sizeof(size_t));
  for(size_t i=0;i<n;i++)perm[i]=i; srand(j->cpu+1); for(size_t i=n-1;i>0;i--){size_t k=((size_t)rand()*RAND_MAX+rand())%(i+1); size_t t=perm[i];perm[i]=perm[k];perm[k]=t;}
  for(size_t i=0;i<n;i++) buf[perm[i]*8]=(uint64_t)&buf[perm[(i+1)%n]*8]; free(perm);
  uint64_t *p=&buf[0]; for(size_t i=0;i<n;i++) p=(uint64_t*)*p; // warm
  double t0=now(); for(long i=0;i<j->steps;i++) p=(uint64_t*)*p; j->ns=(now()-t0)/j->steps;
  if(p==0)puts("x"); free(buf); return 0; }
static double go(size_t bytes,int threads,int alu,long steps){ pthread_t t[2]; job j[2];
  for(int i=0;i<threads;i++){ j[i]=(job){bytes,steps,i,0,alu}; pthread_create(&t[i],0,run,&j[i]); }
  double s=0; for(int i=0;i<threads;i++){pthread_join(t[i],0); s+=j[i].ns;} return s/threads; }
int main(int c,char**v){ int rounds=c>1?atoi(v[1]):3; size_t sizes[]={1<<20,16<<20,64<<20,128<<20};
  for(int r=0;r<rounds;r++){ double a1=go(0,1,1,400000000),a2=go(0,2,1,400000000); printf("round %d alu 1T %.3f 2T %.3f ratio %.3f\n",r,a1,a2,a2/a1);
    for(int s=0;s<4;s++){ long steps=20000000; double m1,m2; if(r%2){m2=go(sizes[s],2,0,steps);m1=go(sizes[s],1,0,steps);}else{m1=go(sizes[s],1,0,steps);m2=go(sizes[s],2,0,steps);}
      printf("round %d chase %4zu MiB/thread 1T %.1f ns 2T %.1f ns ratio %.3f\n",r,sizes[s]>>20,m1,m2,m2/m1); fflush(stdout);} } }
