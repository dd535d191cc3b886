// The processes of one container as a tree by ppid, from proc.tree snapshots. Rows are kept
// across snapshots (inserted, moved, marked dead, then dropped after a while), so a view keeps
// its selection and expansion and a process that dies stays visible for a moment, marked
// OOM-killed when the cgroup's oom_kill event accounts for it.
#pragma once

#include <QAbstractItemModel>
#include <memory>
#include <unordered_map>
#include <vector>

#include "event_values.hpp"

namespace boxlab::gui {

class ProcessTreeModel : public QAbstractItemModel {
  Q_OBJECT
 public:
  // Host: the host's pid first and as ppid; Container: the pid the container sees first.
  enum class View { Host, Container };
  enum Column {
    CommandColumn,
    PidColumn,
    OtherPidColumn,
    PPidColumn,
    StateColumn,
    NsDepthColumn,
    ThreadsColumn,
    UidColumn,
    ColumnCount
  };
  enum Role {
    HostPidRole = Qt::UserRole + 1,  // qint64
    InsidePidRole,                   // qint64, the pid in the container's pid namespace
    NsDepthRole,        // int: pid namespaces below the host's this process lives in (0: host's)
    PidNsRole,          // quint64 inode of its own pid namespace (0 unknown)
    DeadRole,           // bool: gone from the last snapshot
    OomKilledRole,      // bool: gone, and the cgroup reported an OOM kill for it
    ContainerRootRole,  // bool: the container's first process
    CommRole,           // QString: the command name alone (the column shows its arguments)
  };

  explicit ProcessTreeModel(QObject* parent = nullptr);
  ~ProcessTreeModel() override;

  // Which container's snapshots to show ("" adopts the first that arrives). Clears the tree.
  void setContainer(const QString& name);
  QString container() const { return container_; }
  void setView(View view);
  View view() const { return view_; }
  // How long a process that died stays listed (ns of stream time). Default 3 s.
  void setDeadLinger(qint64 ns) { linger_ = ns; }
  void clear();

  void applyTree(const ProcTreeEvent& tree);
  void applyCgroupEvent(const CgroupEventEvent& event);
  void applyContainerState(const ContainerStateEvent& state);

  int liveCount() const { return live_; }
  int deadCount() const { return int(nodes_.size()) - live_; }
  int oomKilledCount() const;
  quint64 containerPidNs() const { return pidNs_; }
  qint64 rootPid() const { return rootPid_; }
  QModelIndex indexOfPid(qint64 hostPid, int column = 0) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  struct Node {
    ProcessValue p;
    Node* parent = nullptr;
    std::vector<Node*> children;  // sorted by host pid
    int row = 0;
    bool dead = false;
    bool oomKilled = false;
    qint64 diedAt = 0;
  };
  Node* nodeOf(const QModelIndex& index) const;
  QModelIndex indexOf(Node* node, int column = 0) const;
  Node* parentFor(const Node* node) const;
  int insertPosition(const Node* parent, qint64 pid) const;
  static void renumber(Node* parent, int from);
  void attach(Node* node, Node* parent);
  void move(Node* node, Node* parent);
  void remove(Node* node);
  void markDead(Node* node, qint64 t, bool oom);
  void rowChanged(Node* node);
  qint64 insidePid(const ProcessValue& p) const;
  void markAllDead(qint64 t);
  void addUnseenOomKills(qint64 t);

  QString container_;
  View view_ = View::Host;
  qint64 linger_ = 3000000000;
  Node root_;
  std::unordered_map<qint64, std::unique_ptr<Node>> nodes_;
  int live_ = 0;
  int containerDepth_ = 0;  // nspid index of the container's own pid namespace
  quint64 pidNs_ = 0;
  qint64 rootPid_ = 0;
  qint64 lastT_ = 0;
  qint64 pendingOomKills_ = 0;  // oom_kill counts not yet matched to a vanished process
  qint64 pendingSince_ = 0;     // stream time of the oldest of them
  qint64 unseen_ = 0;           // rows for OOM kills of processes no snapshot caught
};

}  // namespace boxlab::gui
