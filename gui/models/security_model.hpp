// A container's confinement (container.security) as a two-column tree for learners: each
// capability set by name ("14 of 41"), what the bounding set dropped, seccomp mode and
// profile, no_new_privs and the device rules, each with the individual names as children.
#pragma once

#include <QStandardItemModel>

#include "event_values.hpp"

namespace boxlab::gui {

class SecurityModel : public QStandardItemModel {
  Q_OBJECT
 public:
  enum Column { SettingColumn, ValueColumn, ColumnCount };
  // A top-level row's stable key: effective permitted bounding inheritable ambient dropped
  // seccomp profile nnp devices. Views keep expanded rows by it across updates.
  enum Role { KeyRole = Qt::UserRole + 1 };

  explicit SecurityModel(QObject* parent = nullptr);

  void setContainer(const QString& name);
  QString container() const { return container_; }
  // Takes an event of the watched container (the first one seen names it when none is set).
  void applySecurity(const SecurityEvent& e);
  void clear();

  bool hasData() const { return has_; }
  const SecurityEvent& current() const { return event_; }
  bool isPrivileged() const { return has_ && event_.privileged; }
  int knownCapabilities() const;  // lastCap + 1 (0 when unknown)
  // The capabilities a set lacks, out of every one the kernel knows.
  QStringList missing(const CapabilitySet& set) const;
  QModelIndex rowFor(const QString& key) const;
  // One line for the banner above the tree: privileged or confined, and how.
  QString summary() const;

  // "CAP_NET_RAW" -> "raw and packet sockets (ping, packet capture)"; "" when unknown.
  static QString capabilityMeaning(const QString& name);

 signals:
  void securityChanged();  // after the rows were rebuilt (or cleared)

 private:
  void rebuild();

  QString container_;
  SecurityEvent event_;
  bool has_ = false;
};

}  // namespace boxlab::gui
