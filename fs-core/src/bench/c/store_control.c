// The machine's store bandwidth at two threads, the control for issue 11.1's random writes
// (docs/BENCHMARKS.md): ns per step of 8 independent ALU chains, a 4 KiB memcpy within L1, and a
// 4 KiB non-temporal (AVX-512 streaming) copy to one block and to random blocks of 256 MiB per
// thread, as daxfs's device layer copies a written page; 1 thread, then 2 at once (each pinned to
// its CPU, its own buffers); the ratio is 2T time over 1T time (1.0: the second thread costs nothing).
// gcc -O2 -mavx512f -pthread -o /tmp/store_control store_control.c && /tmp/store_control [ROUNDS]
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
typedef struct {int kind; int cpu; long steps; double ns; char *area; size_t areaBytes;} job;
static void *run(void *p){ job *j=p; cpu_set_t s; CPU_ZERO(&s); CPU_SET(j->cpu,&s); pthread_setaffinity_np(pthread_self(),sizeof s,&s);
  char *src=aligned_alloc(4096,4096), *dst=aligned_alloc(4096,4096); memset(src,1,4096); memset(dst,2,4096);
  volatile uint64_t sink=0; double t0=now();
  if(j->kind==0){ uint64_t a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8; for(long i=0;i<j->steps;i++){a=a*3+1;b=b*5+1;c=c*7+1;d=d*9+1;e=e*11+1;f=f*13+1;g=g*15+1;h=h*17+1;} sink=a+b+c+d+e+f+g+h; }
  else if(j->kind==1){ for(long i=0;i<j->steps;i++){ memcpy(dst,src,4096); src[i&4095]++; __asm__ volatile(""::"r"(dst):"memory"); } }
  else { uint64_t x=88172645463325252ULL+j->cpu; size_t blocks=j->areaBytes/4096; for(long i=0;i<j->steps;i++){
      char *d=dst; if(j->kind==3){ x^=x<<13;x^=x>>7;x^=x<<17; d=j->area+(x%blocks)*4096; }
      for(int k=0;k<4096;k+=64){ __m512i v=_mm512_load_si512(src+k); _mm512_stream_si512((__m512i*)(d+k),v);} }
    _mm_sfence(); }
  j->ns=(now()-t0)/j->steps; (void)sink; return 0; }
static char *areas[2];
static double go(int kind,int threads,long steps){ pthread_t t[2]; job j[2]; for(int i=0;i<threads;i++){ j[i]=(job){kind,i,steps,0,areas[i],256<<20}; pthread_create(&t[i],0,run,&j[i]); }
  double m=0; for(int i=0;i<threads;i++){ pthread_join(t[i],0); if(j[i].ns>m)m=j[i].ns; } return m; }
int main(int argc,char**argv){ int rounds=argc>1?atoi(argv[1]):5; for(int i=0;i<2;i++){ areas[i]=aligned_alloc(4096,256<<20); memset(areas[i],0,256<<20);} 
  const char *names[]={"alu8","memcpy4k","nt4k-same","nt4k-random"}; long steps[]={200000000,5000000,2000000,1000000};
  for(int r=0;r<rounds;r++) for(int k=0;k<4;k++){ double a=go(k,1,steps[k]), b=go(k,2,steps[k]); printf("round %d %-12s 1T %.2f ns 2T %.2f ns ratio(2T/1T time) %.3f\n",r,names[k],a,b,b/a); fflush(stdout);} }
