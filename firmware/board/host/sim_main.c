/* supervisor-sim: the supervisor firmware's host build on a pseudo-terminal,
 * for lifeline's tests and drills. The firmware runs unchanged over the host
 * board; what a real board would sense comes from a control socket (mains and
 * battery millivolts, buttons, how the modem module behaves) and what it drives
 * (host relay, modem lines, buzzer, LEDs) is reported there. Prints one JSON
 * line {"pty":...,"link":...,"control":...} when ready. See firmware/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "host_board.h"
#include "supervisor.h"

enum { MAX_CLIENTS = 8, LINE_CAP = 256 };

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

typedef struct {
  const char *link, *control, *flash;
  int die_with_parent;
} options;

typedef struct {
  int fd;
  char buf[LINE_CAP];
  size_t len;
} client;

/* The modem module on the other end of PWRKEY, RESET_N and STATUS. */
typedef enum { MODULE_OK, MODULE_HUNG, MODULE_DEAD } module_mode;
static struct {
  module_mode mode;
  int on;
  uint32_t key_since;
  int key_down;
} g_module = {MODULE_OK, 1, 0, 0};

static supervisor g_sup;
static int g_flash_fd = -1;
/* A press as a finger makes it: it goes down only once the button's last
 * release has been counted (a press asked for while the firmware still reads
 * the button as held waits in g_press_waiting), and it stays down past its
 * time until the firmware's debounce has counted it (g_presses_before), so a
 * host too busy to run this loop every few milliseconds cannot let a press
 * pass between the firmware's samples. Never held longer than PRESS_CAP_MS
 * past its time. */
enum { PRESS_CAP_MS = 5000 };
static uint32_t g_release_at[HAL_IN_COUNT];
static uint32_t g_press_waiting[HAL_IN_COUNT]; /* ms of a press yet to go down; 0 = none */
static uint16_t g_presses_before[HAL_IN_COUNT];
static const char *g_flash_path;

static uint32_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void save_flash(void) {
  if (g_flash_fd < 0) return;
  if (pwrite(g_flash_fd, g_board.flash, sizeof g_board.flash, 0) != (ssize_t)sizeof g_board.flash) {
    perror("supervisor-sim: flash file");
  }
}

static int load_flash(const char *path) {
  g_flash_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (g_flash_fd < 0) return -1;
  ssize_t n = pread(g_flash_fd, g_board.flash, sizeof g_board.flash, 0);
  if (n != (ssize_t)sizeof g_board.flash) memset(g_board.flash, 0xFF, sizeof g_board.flash); /* a new chip */
  g_board.on_flash_change = save_flash;
  return 0;
}

static int open_pty(const char *link, int *master, int *slave, char *name, size_t cap) {
  *master = posix_openpt(O_RDWR | O_NOCTTY);
  if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0) return -1;
  snprintf(name, cap, "%s", ptsname(*master));
  /* Kept open so the master never sees a hang-up while no client is attached. */
  *slave = open(name, O_RDWR | O_NOCTTY);
  if (*slave < 0) return -1;
  struct termios t;
  tcgetattr(*slave, &t);
  cfmakeraw(&t);
  tcsetattr(*slave, TCSANOW, &t);
  fcntl(*master, F_SETFL, fcntl(*master, F_GETFL) | O_NONBLOCK);
  if (link) {
    unlink(link);
    if (symlink(name, link) != 0) return -1;
  }
  return 0;
}

static int listen_unix(const char *path) {
  struct sockaddr_un addr;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (fd < 0 || strlen(path) >= sizeof addr.sun_path) return -1;
  strcpy(addr.sun_path, path);
  unlink(path);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void step_module(uint32_t now) {
  int key = g_board.output[HAL_OUT_MODEM_PWRKEY];
  if (key && !g_module.key_down) g_module.key_since = now;
  /* EC2x: a press of 500 ms or more toggles power on release. */
  if (!key && g_module.key_down && now - g_module.key_since >= 500 && g_module.mode == MODULE_OK) {
    g_module.on = !g_module.on;
  }
  g_module.key_down = key;
  if (g_board.output[HAL_OUT_MODEM_RESET] && g_module.mode != MODULE_DEAD) {
    g_module.mode = MODULE_OK;
    g_module.on = 1;
  }
  g_board.input[HAL_IN_MODEM_STATUS] = g_module.on && g_module.mode != MODULE_DEAD;
}

static int status_json(char *out, size_t cap, uint32_t now) {
  const bool *o = g_board.output;
  const uint32_t *r = g_board.rising;
  return snprintf(out, cap,
                  "{\"now_ms\":%u,\"relay\":%d,\"relay_pulses\":%u,\"pwrkey\":%d,\"pwrkey_pulses\":%u,"
                  "\"reset\":%d,\"reset_pulses\":%u,\"buzzer\":%d,\"red\":%d,\"amber\":%d,\"green\":%d,"
                  "\"alarm\":%d,\"silenced\":%d,\"host_resets\":%u,\"watchdog\":%d,\"modem_on\":%d,"
                  "\"modem_cycles\":%u,\"boot_count\":%u,\"log_next\":%u,\"rtc_valid\":%d,\"rtc\":%u,"
                  "\"flags\":%u,\"rx_errors\":%u}",
                  now, o[HAL_OUT_HOST_RELAY], r[HAL_OUT_HOST_RELAY], o[HAL_OUT_MODEM_PWRKEY],
                  r[HAL_OUT_MODEM_PWRKEY], o[HAL_OUT_MODEM_RESET], r[HAL_OUT_MODEM_RESET], o[HAL_OUT_BUZZER],
                  o[HAL_OUT_LED_RED], o[HAL_OUT_LED_AMBER], o[HAL_OUT_LED_GREEN], (int)g_sup.alm.shown,
                  (int)g_sup.alm.silenced, g_sup.wd.total_resets, (int)g_sup.wd.state, g_module.on,
                  g_sup.mdm.cycles, g_sup.boot_count, g_sup.log.next_seq, (int)g_sup.clock.valid,
                  sup_clock_now(&g_sup, now), sup_status_flags(&g_sup, now), g_sup.rx_errors);
}

static int parse_input(const char *name) {
  if (strcmp(name, "ack") == 0) return HAL_IN_ACK_BUTTON;
  if (strcmp(name, "drill") == 0) return HAL_IN_DRILL_BUTTON;
  return -1;
}

static int set_adc(hal_adc ch, const char *v) {
  if (strcmp(v, "none") == 0) {
    g_board.adc_valid[ch] = false;
    return 0;
  }
  char *end;
  long mv = strtol(v, &end, 10);
  if (*v == 0 || *end != 0 || mv < 0 || mv > 65535) return -1;
  g_board.adc_valid[ch] = true;
  g_board.adc_mv[ch] = (uint16_t)mv;
  return 0;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "00ff7e..." into bytes; the count, or -1 when it is not whole hex bytes. */
static int parse_hex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex);
  if (n == 0 || n % 2 != 0 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n; i += 2) {
    int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  return (int)(n / 2);
}

/* One control command; writes the reply line (without newline) into out. */
static void control(const char *line, char *out, size_t cap, uint32_t now) {
  char cmd[32] = "", a[64] = "", b[32] = "";
  int n = sscanf(line, "%31s %63s %31s", cmd, a, b);
  int in;
  if (n >= 2 && strcmp(cmd, "mains") == 0 && set_adc(HAL_ADC_MAINS, a) == 0) {
    snprintf(out, cap, "OK");
  } else if (n >= 2 && strcmp(cmd, "battery") == 0 && set_adc(HAL_ADC_BATTERY, a) == 0) {
    snprintf(out, cap, "OK");
  } else if (n >= 2 && strcmp(cmd, "press") == 0 && (in = parse_input(a)) >= 0) {
    long ms = n >= 3 ? strtol(b, 0, 10) : 200;
    g_press_waiting[in] = (uint32_t)(ms > 0 && ms < 60000 ? ms : 200); /* down at the next step */
    snprintf(out, cap, "OK");
  } else if (n == 2 && strcmp(cmd, "modem") == 0 &&
             (strcmp(a, "ok") == 0 || strcmp(a, "hang") == 0 || strcmp(a, "dead") == 0)) {
    g_module.mode = a[0] == 'o' ? MODULE_OK : a[0] == 'h' ? MODULE_HUNG : MODULE_DEAD;
    snprintf(out, cap, "OK");
  } else if (n == 2 && strcmp(cmd, "noise") == 0) {
    /* Line noise: the bytes go to the host between the firmware's own frames. */
    uint8_t bytes[32];
    int k = parse_hex(a, bytes, sizeof bytes);
    if (k > 0) {
      hal_uart_write(bytes, (size_t)k);
      snprintf(out, cap, "OK");
    } else {
      snprintf(out, cap, "ERR noise takes 1-31 bytes in hex: %.60s", a);
    }
  } else if (n == 1 && strcmp(cmd, "reboot") == 0) {
    host_board_power_on(true);
    sup_init(&g_sup, BOARD_HOST_SIM, now);
    snprintf(out, cap, "OK");
  } else if (n == 1 && strcmp(cmd, "status") == 0) {
    int k = snprintf(out, cap, "OK ");
    status_json(out + k, cap - (size_t)k, now);
  } else {
    snprintf(out, cap, "ERR unknown or malformed command: %.60s", line);
  }
}

static void serve_client(client *c, uint32_t now) {
  char buf[LINE_CAP];
  ssize_t n = read(c->fd, buf, sizeof buf);
  if (n <= 0) {
    close(c->fd);
    c->fd = -1;
    return;
  }
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] != '\n') {
      if (c->len < LINE_CAP - 1) c->buf[c->len++] = buf[i];
      continue;
    }
    c->buf[c->len] = 0;
    c->len = 0;
    char reply[1024];
    control(c->buf, reply, sizeof reply - 1, now);
    fprintf(stderr, "supervisor-sim: control \"%s\" -> %s\n", c->buf, reply);
    strcat(reply, "\n");
    if (write(c->fd, reply, strlen(reply)) < 0) break;
  }
}

static const button *button_of(int in) {
  return in == HAL_IN_ACK_BUTTON ? &g_sup.ack : in == HAL_IN_DRILL_BUTTON ? &g_sup.drill : 0;
}

static void press_down(int in, uint32_t ms, uint32_t now) {
  const button *b = button_of(in);
  g_board.input[in] = true;
  g_release_at[in] = now + ms;
  if (g_release_at[in] == 0) g_release_at[in] = 1;
  g_presses_before[in] = b ? b->presses : 0;
}

static void step_presses(uint32_t now) {
  for (int i = 0; i < HAL_IN_COUNT; ++i) {
    const button *b = button_of(i);
    if (g_press_waiting[i] != 0 && !g_board.input[i] && !(b && b->pressed)) {
      press_down(i, g_press_waiting[i], now);
      g_press_waiting[i] = 0;
    }
    if (g_release_at[i] == 0 || (int32_t)(now - g_release_at[i]) < 0) continue;
    bool counted = !b || b->presses != g_presses_before[i];
    if (counted || (int32_t)(now - g_release_at[i]) >= PRESS_CAP_MS) {
      g_board.input[i] = false;
      g_release_at[i] = 0;
    }
  }
}

static void pump_uart(int master, uint32_t now) {
  uint8_t buf[256];
  ssize_t n = read(master, buf, sizeof buf);
  if (n > 0) host_board_uart_push(buf, (size_t)n);
  g_board.now_ms = now;
  step_presses(now);
  step_module(now);
  sup_step(&g_sup, now);
  size_t k = host_board_uart_take(buf, sizeof buf);
  if (k > 0 && write(master, buf, k) < 0 && errno != EAGAIN) perror("supervisor-sim: pty");
}

static int parse_args(int argc, char **argv, options *o) {
  for (int i = 1; i < argc; ++i) {
    int more = i + 1 < argc;
    if (strcmp(argv[i], "--die-with-parent") == 0) o->die_with_parent = 1;
    else if (more && strcmp(argv[i], "--link") == 0) o->link = argv[++i];
    else if (more && strcmp(argv[i], "--control") == 0) o->control = argv[++i];
    else if (more && strcmp(argv[i], "--flash") == 0) o->flash = argv[++i];
    else return -1;
  }
  return 0;
}

static int run(const options *o) {
  int master, slave, listener = -1;
  char name[128];
  client clients[MAX_CLIENTS];
  for (int i = 0; i < MAX_CLIENTS; ++i) clients[i].fd = -1;
  if (open_pty(o->link, &master, &slave, name, sizeof name) != 0) return perror("supervisor-sim: pty"), 1;
  if (o->control && (listener = listen_unix(o->control)) < 0) return perror("supervisor-sim: control"), 1;
  printf("{\"pty\":\"%s\",\"link\":\"%s\",\"control\":\"%s\"}\n", name, o->link ? o->link : "",
         o->control ? o->control : "");
  fflush(stdout);
  while (!g_stop) {
    struct pollfd fds[2 + MAX_CLIENTS] = {{master, POLLIN, 0}, {listener, POLLIN, 0}};
    for (int i = 0; i < MAX_CLIENTS; ++i) fds[2 + i] = (struct pollfd){clients[i].fd, POLLIN, 0};
    if (poll(fds, 2 + MAX_CLIENTS, 5) < 0 && errno != EINTR) break;
    uint32_t now = monotonic_ms();
    if (fds[1].revents & POLLIN) {
      int fd = accept4(listener, 0, 0, SOCK_CLOEXEC);
      for (int i = 0; i < MAX_CLIENTS && fd >= 0; ++i) {
        if (clients[i].fd < 0) {
          clients[i].fd = fd;
          clients[i].len = 0;
          fd = -1;
        }
      }
      if (fd >= 0) close(fd);
    }
    for (int i = 0; i < MAX_CLIENTS; ++i) {
      if (clients[i].fd >= 0 && (fds[2 + i].revents & (POLLIN | POLLHUP))) serve_client(&clients[i], now);
    }
    pump_uart(master, now);
  }
  if (o->link) unlink(o->link);
  if (o->control) unlink(o->control);
  close(slave);
  close(master);
  return 0;
}

int main(int argc, char **argv) {
  options o = {0, 0, 0, 0};
  if (parse_args(argc, argv, &o) != 0) {
    fprintf(stderr, "usage: supervisor-sim [--link PATH] [--control SOCKET] [--flash FILE] [--die-with-parent]\n");
    return 2;
  }
  if (o.die_with_parent) {
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  host_board_reset();
  g_flash_path = o.flash;
  if (o.flash && load_flash(o.flash) != 0) return perror("supervisor-sim: flash file"), 1;
  sup_init(&g_sup, BOARD_HOST_SIM, monotonic_ms());
  return run(&o);
}
