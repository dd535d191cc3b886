#include "security_model.hpp"

#include <QBrush>
#include <QColor>
#include <QHash>

namespace boxlab::gui {

namespace {

const QColor kGood(0x20, 0x90, 0x40);
const QColor kWarn(0xb0, 0x70, 0x10);
const QColor kBad(0xdc, 0x3c, 0x3c);  // readable on the light and the dark palette

QStandardItem* cell(const QString& text, const QString& tip = {}) {
  auto* item = new QStandardItem(text);
  item->setEditable(false);
  if (!tip.isEmpty()) item->setToolTip(tip);
  return item;
}

// Capability names without the prefix, for one-line lists.
QString shortList(const QStringList& names, int max) {
  QStringList out;
  for (int i = 0; i < names.size() && i < max; ++i) out << QString(names[i]).remove(0, 4);
  QString text = out.join(QStringLiteral(", "));
  if (names.size() > max) text += QStringLiteral(", …");
  return text;
}

}  // namespace

SecurityModel::SecurityModel(QObject* parent) : QStandardItemModel(parent) {
  setColumnCount(ColumnCount);
  setHorizontalHeaderLabels({tr("Setting"), tr("Value")});
}

void SecurityModel::setContainer(const QString& name) {
  if (name == container_) return;
  container_ = name;
  clear();
}

void SecurityModel::clear() {
  has_ = false;
  event_ = {};
  rebuild();
}

void SecurityModel::applySecurity(const SecurityEvent& e) {
  if (container_.isEmpty()) container_ = e.container;
  if (e.container != container_) return;
  event_ = e;
  has_ = true;
  rebuild();
}

int SecurityModel::knownCapabilities() const {
  return event_.lastCap >= 0 ? event_.lastCap + 1 : int(event_.allCaps.size());
}

QStringList SecurityModel::missing(const CapabilitySet& set) const {
  QStringList out;
  for (const QString& name : event_.allCaps)
    if (!set.names.contains(name)) out << name;
  return out;
}

QModelIndex SecurityModel::rowFor(const QString& key) const {
  for (int r = 0; r < rowCount(); ++r) {
    QModelIndex i = index(r, SettingColumn);
    if (i.data(KeyRole).toString() == key) return i;
  }
  return {};
}

QString SecurityModel::summary() const {
  if (!has_) return {};
  const SecurityEvent& e = event_;
  QString caps =
      e.effective.known
          ? tr("%1 of %2 capabilities").arg(e.effective.names.size()).arg(knownCapabilities())
          : tr("capabilities unknown");
  if (e.privileged)
    return tr("<b>Privileged</b>: %1, no seccomp filter, every device. Root in here can do "
              "nearly all that root on the host can.")
        .arg(caps);
  QString seccomp = !e.seccompMode ? tr("seccomp unknown")
                    : *e.seccompMode == 2
                        ? (e.profile == QLatin1String("docker-default")
                               ? tr("Docker's default seccomp filter")
                               : tr("a seccomp filter (%1 profile)").arg(e.profile))
                    : *e.seccompMode == 1 ? tr("seccomp strict mode")
                                          : tr("<b>no seccomp filter</b>");
  QString devices = e.devicesAllowAll       ? tr("<b>every device</b>")
                    : e.devices.size() == 1 ? tr("1 device rule")
                                            : tr("%1 device rules").arg(e.devices.size());
  return tr("<b>Confined</b>: %1, %2, %3.").arg(caps, seccomp, devices);
}

void SecurityModel::rebuild() {
  removeRows(0, rowCount());
  if (!has_) {
    emit securityChanged();
    return;
  }
  const SecurityEvent& e = event_;
  const int total = knownCapabilities();
  auto addRow = [this](const QString& key, const QString& setting, const QString& value,
                       const QString& tip = {}, const QColor& color = {}) {
    QStandardItem* s = cell(setting, tip);
    s->setData(key, KeyRole);
    QStandardItem* v = cell(value, tip);
    if (color.isValid()) v->setForeground(QBrush(color));
    appendRow({s, v});
    return s;
  };
  auto addNames = [](QStandardItem* parent, const QStringList& names) {
    for (const QString& n : names) parent->appendRow({cell(n), cell(capabilityMeaning(n))});
  };
  auto countText = [&](const CapabilitySet& set) {
    if (!set.known) return tr("unknown");
    if (set.names.isEmpty()) return tr("none");
    return tr("%1 of %2").arg(set.names.size()).arg(total);
  };

  // Effective first: what the process can do right now.
  // Red where root here is close to the host's root: SYS_ADMIN alone is most of it.
  bool nearRoot = e.privileged || e.effective.names.contains(QLatin1String("CAP_SYS_ADMIN"));
  QStandardItem* eff = addRow(
      QStringLiteral("effective"), tr("Capabilities (effective)"),
      e.effective.known ? tr("%1   (CapEff %2)").arg(countText(e.effective), e.effective.mask)
                        : tr("unknown"),
      tr("What root in the container may do right now. Expand for the names."),
      nearRoot ? kBad : kGood);
  addNames(eff, e.effective.names);
  QStandardItem* dropped = addRow(
      QStringLiteral("dropped"), tr("Dropped (not in the bounding set)"),
      !e.bounding.known ? tr("unknown")
      : missing(e.bounding).isEmpty()
          ? tr("none")
          : tr("%1: %2").arg(missing(e.bounding).size()).arg(shortList(missing(e.bounding), 4)),
      tr("Capabilities this process and every child it starts can never get back. Expand for "
         "the full list."));
  if (e.bounding.known) addNames(dropped, missing(e.bounding));
  struct Other {
    const char* key;
    QString setting;
    const CapabilitySet* set;
    QString tip;
  };
  const Other others[] = {
      {"bounding", tr("Bounding set"), &e.bounding,
       tr("The most this process and its children can ever hold.")},
      {"permitted", tr("Permitted"), &e.permitted,
       tr("What the process may switch on in its effective set.")},
      {"inheritable", tr("Inheritable"), &e.inheritable,
       tr("Kept across execve for programs whose file allows it.")},
      {"ambient", tr("Ambient"), &e.ambient,
       tr("Kept across execve of any program (non-root users).")},
  };
  for (const Other& o : others) {
    QStandardItem* row = addRow(QString::fromLatin1(o.key), o.setting,
                                o.set->known && !o.set->names.isEmpty()
                                    ? tr("%1   (%2)").arg(countText(*o.set), o.set->mask)
                                    : countText(*o.set),
                                o.tip);
    addNames(row, o.set->names);
  }

  QString mode;
  QColor modeColor;
  if (!e.seccompMode) {
    mode = tr("unknown (the kernel does not say)");
  } else if (*e.seccompMode == 2) {
    mode = tr("mode 2: filter");
    if (e.seccompFilters)
      mode += *e.seccompFilters == 1 ? tr(", 1 filter loaded")
                                     : tr(", %1 filters loaded").arg(*e.seccompFilters);
    modeColor = kGood;
  } else if (*e.seccompMode == 1) {
    mode = tr("mode 1: strict (read, write, exit only)");
    modeColor = kGood;
  } else {
    mode = tr("mode 0: disabled, no filter");
    modeColor = kBad;
  }
  addRow(QStringLiteral("seccomp"), tr("Seccomp"), mode,
         tr("/proc/PID/status Seccomp and Seccomp_filters of the container's first process. "
            "Mode 0: every system call reaches the kernel; mode 2: a filter answers first."),
         modeColor);
  // Short in the row, the engine's whole sentence in the tooltip.
  QString profile = e.profile == QLatin1String("docker-default")
                        ? tr("Docker's default (allows %1 system calls)").arg(e.profileSyscalls)
                    : e.profile == QLatin1String("unconfined")
                        ? tr("none (unconfined)")
                        : tr("%1 (%2 system calls named, default: %3)")
                              .arg(e.profile)
                              .arg(e.profileSyscalls)
                              .arg(e.defaultAction);
  addRow(QStringLiteral("profile"), tr("Seccomp profile"), profile,
         tr("What the container's spec asked for (linux.seccomp): %1.")
             .arg(e.profileDescription.isEmpty() ? e.profile : e.profileDescription));
  addRow(QStringLiteral("nnp"), tr("no_new_privs"),
         !e.noNewPrivs   ? tr("unknown")
         : *e.noNewPrivs ? tr("on: execve never grants more privileges")
                         : tr("off: setuid programs can still raise privileges"),
         tr("/proc/PID/status NoNewPrivs; --security-opt no-new-privileges sets it."),
         !e.noNewPrivs   ? QColor()
         : *e.noNewPrivs ? kGood
                         : kWarn);

  QString devices;
  QColor devicesColor = kGood;
  if (e.devicesSource == QLatin1String("none")) {
    devices = tr("every device (no device cgroup of its own)");
    devicesColor = kBad;
  } else if (e.devicesSource == QLatin1String("unavailable")) {
    devices = tr("unknown: the devices cgroup could not be read");
    devicesColor = {};
  } else {
    // v2 enforces them as a BPF program, which cannot be read back as rules: say where
    // these come from.
    // Short in the row; the tooltip says why v2 shows the spec's rules.
    QString from =
        e.devicesSource == QLatin1String("cgroup-v1") ? tr("v1 devices.list") : tr("spec; v2 BPF");
    QString rules = e.devices.size() == 1 ? tr("1 rule") : tr("%1 rules").arg(e.devices.size());
    devices = e.devicesAllowAll ? tr("every device (%1)").arg(from)
                                : tr("allow-list of %1 (%2)").arg(rules, from);
    if (e.devicesAllowAll) devicesColor = kBad;
  }
  QStandardItem* dev =
      addRow(QStringLiteral("devices"), tr("Devices"), devices,
             tr("Which device files the container may read, write or create (mknod); the last "
                "matching rule decides. %1")
                 .arg(e.devicesSource == QLatin1String("cgroup-v1")
                          ? tr("Read from the container's cgroup v1 devices.list.")
                      : e.devicesSource == QLatin1String("spec-v2")
                          ? tr("cgroup v2 enforces them as a BPF program, which cannot be read "
                               "back as rules: these are the container's spec's rules.")
                          : QString()),
             devicesColor);
  for (const auto& r : e.devices)
    dev->appendRow({cell((r.allow ? QString() : tr("deny ")) + r.rule),
                    cell(r.device.isEmpty() ? tr("(no well-known name)") : r.device)});
  emit securityChanged();
}

QString SecurityModel::capabilityMeaning(const QString& name) {
  static const QHash<QString, QString> meanings = {
      {QStringLiteral("CAP_CHOWN"), tr("change any file's owner")},
      {QStringLiteral("CAP_DAC_OVERRIDE"), tr("ignore file read, write and execute permissions")},
      {QStringLiteral("CAP_DAC_READ_SEARCH"), tr("read any file and directory; open_by_handle_at")},
      {QStringLiteral("CAP_FOWNER"), tr("act as the owner of any file (chmod, utime)")},
      {QStringLiteral("CAP_FSETID"), tr("keep set-user-ID bits when a file changes")},
      {QStringLiteral("CAP_KILL"), tr("send signals to any process")},
      {QStringLiteral("CAP_SETGID"), tr("change group ids")},
      {QStringLiteral("CAP_SETUID"), tr("change user ids")},
      {QStringLiteral("CAP_SETPCAP"), tr("drop from the bounding set, change capabilities")},
      {QStringLiteral("CAP_LINUX_IMMUTABLE"), tr("set immutable and append-only file flags")},
      {QStringLiteral("CAP_NET_BIND_SERVICE"), tr("listen on ports below 1024")},
      {QStringLiteral("CAP_NET_BROADCAST"), tr("broadcast and multicast")},
      {QStringLiteral("CAP_NET_ADMIN"), tr("configure interfaces, routes and firewalls")},
      {QStringLiteral("CAP_NET_RAW"), tr("raw and packet sockets (ping, packet capture)")},
      {QStringLiteral("CAP_IPC_LOCK"), tr("lock memory (mlock)")},
      {QStringLiteral("CAP_IPC_OWNER"), tr("ignore System V IPC permissions")},
      {QStringLiteral("CAP_SYS_MODULE"), tr("load and unload kernel modules")},
      {QStringLiteral("CAP_SYS_RAWIO"), tr("raw I/O: ioperm, /dev/mem")},
      {QStringLiteral("CAP_SYS_CHROOT"), tr("chroot")},
      {QStringLiteral("CAP_SYS_PTRACE"), tr("trace and inspect any process (ptrace)")},
      {QStringLiteral("CAP_SYS_PACCT"), tr("process accounting")},
      {QStringLiteral("CAP_SYS_ADMIN"), tr("mount, namespaces, and much more: near root")},
      {QStringLiteral("CAP_SYS_BOOT"), tr("reboot, kexec")},
      {QStringLiteral("CAP_SYS_NICE"), tr("raise priorities, schedule other processes")},
      {QStringLiteral("CAP_SYS_RESOURCE"), tr("exceed resource limits and quotas")},
      {QStringLiteral("CAP_SYS_TIME"), tr("set the system clock")},
      {QStringLiteral("CAP_SYS_TTY_CONFIG"), tr("configure terminals, vhangup")},
      {QStringLiteral("CAP_MKNOD"), tr("create device files (mknod)")},
      {QStringLiteral("CAP_LEASE"), tr("take file leases")},
      {QStringLiteral("CAP_AUDIT_WRITE"), tr("write to the kernel's audit log")},
      {QStringLiteral("CAP_AUDIT_CONTROL"), tr("configure kernel auditing")},
      {QStringLiteral("CAP_SETFCAP"), tr("give files capabilities")},
      {QStringLiteral("CAP_MAC_OVERRIDE"), tr("override mandatory access control")},
      {QStringLiteral("CAP_MAC_ADMIN"), tr("configure mandatory access control")},
      {QStringLiteral("CAP_SYSLOG"), tr("read and clear the kernel log")},
      {QStringLiteral("CAP_WAKE_ALARM"), tr("set alarms that wake the system")},
      {QStringLiteral("CAP_BLOCK_SUSPEND"), tr("keep the system from suspending")},
      {QStringLiteral("CAP_AUDIT_READ"), tr("read the audit log (netlink)")},
      {QStringLiteral("CAP_PERFMON"), tr("performance monitoring (perf_event_open)")},
      {QStringLiteral("CAP_BPF"), tr("load BPF programs and maps")},
      {QStringLiteral("CAP_CHECKPOINT_RESTORE"), tr("checkpoint and restore processes")},
  };
  return meanings.value(name);
}

}  // namespace boxlab::gui
