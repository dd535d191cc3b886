#include "process_tree_model.hpp"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <algorithm>

namespace boxlab::gui {

namespace {
// A process that vanished in the latest snapshot, at most this long before an oom_kill event,
// is taken as its victim (the tree can be sampled before the event fd fires).
constexpr qint64 kOomMatchWindow = 1000000000;

QString stateName(QChar s) {
  switch (s.unicode()) {
    case 'R':
      return QStringLiteral("running");
    case 'S':
      return QStringLiteral("sleeping");
    case 'D':
      return QStringLiteral("disk wait");
    case 'Z':
      return QStringLiteral("zombie");
    case 'T':
      return QStringLiteral("stopped");
    case 't':
      return QStringLiteral("traced");
    case 'I':
      return QStringLiteral("idle");
    case 'X':
      return QStringLiteral("dead");
    default:
      return QString(s);
  }
}
}  // namespace

ProcessTreeModel::ProcessTreeModel(QObject* parent) : QAbstractItemModel(parent) {}
ProcessTreeModel::~ProcessTreeModel() = default;

void ProcessTreeModel::setContainer(const QString& name) {
  if (name == container_) return;
  clear();
  container_ = name;
}

void ProcessTreeModel::clear() {
  beginResetModel();
  root_.children.clear();
  nodes_.clear();
  live_ = 0;
  containerDepth_ = 0;
  pidNs_ = 0;
  rootPid_ = 0;
  pendingOomKills_ = 0;
  pendingSince_ = 0;
  endResetModel();
}

void ProcessTreeModel::setView(View view) {
  if (view == view_) return;
  view_ = view;
  emit headerDataChanged(Qt::Horizontal, PidColumn, PPidColumn);
  // Every row's pid columns change meaning.
  std::vector<Node*> stack(root_.children.begin(), root_.children.end());
  if (!root_.children.empty())
    emit dataChanged(index(0, PidColumn), index(int(root_.children.size()) - 1, PPidColumn));
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (!n->children.empty())
      emit dataChanged(indexOf(n->children.front(), PidColumn),
                       indexOf(n->children.back(), PPidColumn));
    stack.insert(stack.end(), n->children.begin(), n->children.end());
  }
}

int ProcessTreeModel::oomKilledCount() const {
  return int(std::count_if(nodes_.begin(), nodes_.end(),
                           [](const auto& kv) { return kv.second->oomKilled; }));
}

qint64 ProcessTreeModel::insidePid(const ProcessValue& p) const {
  if (containerDepth_ <= 0 || p.nspid.size() <= containerDepth_) return p.pid;
  return p.nspid[containerDepth_];
}

ProcessTreeModel::Node* ProcessTreeModel::nodeOf(const QModelIndex& index) const {
  return index.isValid() ? static_cast<Node*>(index.internalPointer()) : const_cast<Node*>(&root_);
}

QModelIndex ProcessTreeModel::indexOf(Node* node, int column) const {
  if (!node || node == &root_) return {};
  return createIndex(node->row, column, node);
}

QModelIndex ProcessTreeModel::indexOfPid(qint64 hostPid, int column) const {
  auto it = nodes_.find(hostPid);
  return it == nodes_.end() ? QModelIndex() : indexOf(it->second.get(), column);
}

ProcessTreeModel::Node* ProcessTreeModel::parentFor(const Node* node) const {
  auto it = nodes_.find(node->p.ppid);
  if (it == nodes_.end() || it->second.get() == node) return const_cast<Node*>(&root_);
  // Never under its own descendant (a torn snapshot could suggest it).
  for (const Node* a = it->second.get(); a && a != &root_; a = a->parent)
    if (a == node) return nullptr;
  return it->second.get();
}

int ProcessTreeModel::insertPosition(const Node* parent, qint64 pid) const {
  auto it = std::lower_bound(parent->children.begin(), parent->children.end(), pid,
                             [](const Node* n, qint64 p) { return n->p.pid < p; });
  return int(it - parent->children.begin());
}

void ProcessTreeModel::renumber(Node* parent, int from) {
  for (int i = from; i < int(parent->children.size()); ++i) parent->children[i]->row = i;
}

void ProcessTreeModel::attach(Node* node, Node* parent) {
  int row = insertPosition(parent, node->p.pid);
  beginInsertRows(indexOf(parent), row, row);
  node->parent = parent;
  parent->children.insert(parent->children.begin() + row, node);
  renumber(parent, row);
  endInsertRows();
}

void ProcessTreeModel::move(Node* node, Node* to) {
  Node* from = node->parent;
  int src = node->row;
  int dst = insertPosition(to, node->p.pid);
  if (!beginMoveRows(indexOf(from), src, src, indexOf(to), dst)) return;
  from->children.erase(from->children.begin() + src);
  renumber(from, src);
  dst = insertPosition(to, node->p.pid);
  to->children.insert(to->children.begin() + dst, node);
  node->parent = to;
  renumber(to, dst);
  endMoveRows();
}

void ProcessTreeModel::remove(Node* node) {
  Node* parent = node->parent;
  // Children still listed under a process that is going: up to its parent first.
  while (!node->children.empty()) move(node->children.back(), parent);
  int row = node->row;
  beginRemoveRows(indexOf(parent), row, row);
  parent->children.erase(parent->children.begin() + row);
  renumber(parent, row);
  if (!node->dead) --live_;
  nodes_.erase(node->p.pid);
  endRemoveRows();
}

void ProcessTreeModel::rowChanged(Node* node) {
  emit dataChanged(indexOf(node, 0), indexOf(node, ColumnCount - 1));
}

void ProcessTreeModel::markDead(Node* node, qint64 t, bool oom) {
  node->dead = true;
  node->oomKilled = oom;
  node->diedAt = t;
  --live_;
  rowChanged(node);
}

void ProcessTreeModel::applyTree(const ProcTreeEvent& tree) {
  if (container_.isEmpty()) container_ = tree.container;
  if (tree.container != container_) return;
  lastT_ = std::max(lastT_, tree.header.t);
  const qint64 t = tree.header.t;
  rootPid_ = tree.root;
  pidNs_ = tree.pidns;
  for (const auto& p : tree.processes)
    if (p.pid == tree.root) containerDepth_ = int(p.nspid.size()) - 1;

  std::unordered_map<qint64, const ProcessValue*> incoming;
  incoming.reserve(tree.processes.size());
  for (const auto& p : tree.processes) incoming.emplace(p.pid, &p);

  // 1. Gone since the last snapshot: dead (an unmatched OOM kill claims them).
  bool claimOom = pendingOomKills_ > 0;
  bool anyVanished = false;
  for (auto& [pid, node] : nodes_) {
    if (node->dead || incoming.count(pid)) continue;
    markDead(node.get(), t, claimOom);
    anyVanished = true;
  }
  if (claimOom && anyVanished) pendingOomKills_ = 0;
  if (pendingOomKills_ > 0 && !anyVanished && t - pendingSince_ > kOomMatchWindow)
    addUnseenOomKills(t);

  // 2. Known: new values, and a new parent when reparented. 3. New: inserted under parents.
  std::vector<Node*> fresh;
  for (const auto& p : tree.processes) {
    auto it = nodes_.find(p.pid);
    if (it == nodes_.end()) {
      auto node = std::make_unique<Node>();
      node->p = p;
      fresh.push_back(node.get());
      nodes_.emplace(p.pid, std::move(node));
      ++live_;
      continue;
    }
    Node* node = it->second.get();
    bool changed = node->dead || node->p.comm != p.comm || node->p.state != p.state ||
                   node->p.threads != p.threads || node->p.nspid != p.nspid ||
                   node->p.uid != p.uid || node->p.ppid != p.ppid || node->p.args != p.args;
    if (node->dead && node->oomKilled) {  // an OOM victim's pid reused: the new process
      remove(node);                       // takes its place (pids rarely come round so soon)
      auto fresh_node = std::make_unique<Node>();
      fresh_node->p = p;
      fresh.push_back(fresh_node.get());
      nodes_.emplace(p.pid, std::move(fresh_node));
      ++live_;
      continue;
    }
    if (node->dead) {  // the pid was reused
      node->dead = node->oomKilled = false;
      ++live_;
    }
    bool reparent = node->p.ppid != p.ppid;
    if (reparent || node->p.ns != p.ns)
      node->p = p;
    else {
      node->p.comm = p.comm;
      node->p.args = p.args;
      node->p.state = p.state;
      node->p.threads = p.threads;
      node->p.nspid = p.nspid;
      node->p.uid = p.uid;
    }
    if (reparent) {
      Node* to = parentFor(node);
      if (to && to != node->parent) move(node, to);
    }
    if (changed) rowChanged(node);
  }
  // Parents before children: attach in rounds (a new parent may sort after its child).
  while (!fresh.empty()) {
    std::vector<Node*> later;
    for (Node* node : fresh) {
      auto pit = nodes_.find(node->p.ppid);
      bool parentPending = pit != nodes_.end() && pit->second.get() != node &&
                           !pit->second->parent && pit->second.get() != &root_;
      if (parentPending) {
        later.push_back(node);
        continue;
      }
      Node* to = parentFor(node);
      attach(node, to ? to : &root_);
    }
    if (later.size() == fresh.size()) {  // a cycle in a torn snapshot: break it at the top
      for (Node* node : later) attach(node, &root_);
      break;
    }
    fresh.swap(later);
  }

  // 4. The dead that have been shown long enough: removed, deepest first.
  std::vector<Node*> expired;
  for (auto& [pid, node] : nodes_)
    // An OOM victim stays (marked) until the container goes: the learner came to see it.
    if (node->dead && !node->oomKilled && t - node->diedAt >= linger_)
      expired.push_back(node.get());
  auto depth = [](const Node* n) {
    int d = 0;
    for (; n->parent; n = n->parent) ++d;
    return d;
  };
  std::sort(expired.begin(), expired.end(),
            [&](const Node* a, const Node* b) { return depth(a) > depth(b); });
  for (Node* node : expired) remove(node);
}

void ProcessTreeModel::applyCgroupEvent(const CgroupEventEvent& event) {
  if (event.container != container_ || event.event != QLatin1String("oom_kill")) return;
  qint64 count = event.count;
  // Already vanished just before the event (the tree can be sampled before the event fd
  // fires): mark those; the rest waits for the next snapshot.
  for (auto& [pid, node] : nodes_) {
    if (count <= 0) break;
    if (node->dead && !node->oomKilled && node->diedAt == lastT_ &&
        event.header.t - node->diedAt <= kOomMatchWindow) {
      node->oomKilled = true;
      rowChanged(node.get());
      --count;
    }
  }
  if (count > 0 && pendingOomKills_ == 0) pendingSince_ = event.header.t;
  pendingOomKills_ += std::max<qint64>(count, 0);
}

// A victim can live and die between two snapshots (a hog reaches a small limit within
// milliseconds): no vanished process claims its kill. Rather than pin it on the next process
// that exits, show it as what it was: a process the OOM killer ended, too short-lived to see.
void ProcessTreeModel::addUnseenOomKills(qint64 t) {
  for (qint64 i = 0; i < std::min<qint64>(pendingOomKills_, 8); ++i) {
    auto node = std::make_unique<Node>();
    node->p.pid = -(++unseen_);  // never a real pid: the key of a row without one
    node->p.ppid = rootPid_;
    node->p.comm = tr("(a process too short-lived to sample)");
    node->dead = node->oomKilled = true;
    node->diedAt = t;
    Node* raw = node.get();
    nodes_.emplace(raw->p.pid, std::move(node));
    Node* to = parentFor(raw);
    attach(raw, to ? to : &root_);
  }
  pendingOomKills_ = 0;
}

void ProcessTreeModel::applyContainerState(const ContainerStateEvent& state) {
  if (state.name != container_) return;
  if (state.status == QLatin1String("removed")) {
    clear();  // its OOM victims with it
    return;
  }
  if (state.status == QLatin1String("stopped")) markAllDead(state.header.t);
}

void ProcessTreeModel::markAllDead(qint64 t) {
  bool claimOom = pendingOomKills_ > 0;
  for (auto& [pid, node] : nodes_)
    if (!node->dead) markDead(node.get(), t, claimOom);
  if (claimOom) pendingOomKills_ = 0;
}

QModelIndex ProcessTreeModel::index(int row, int column, const QModelIndex& parent) const {
  if (row < 0 || column < 0 || column >= ColumnCount) return {};
  if (parent.isValid() && parent.column() != 0) return {};
  Node* p = nodeOf(parent);
  if (row >= int(p->children.size())) return {};
  return createIndex(row, column, p->children[row]);
}

QModelIndex ProcessTreeModel::parent(const QModelIndex& child) const {
  if (!child.isValid()) return {};
  Node* n = nodeOf(child);
  return indexOf(n->parent == &root_ ? nullptr : n->parent);
}

int ProcessTreeModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid() && parent.column() != 0) return 0;
  return int(nodeOf(parent)->children.size());
}

int ProcessTreeModel::columnCount(const QModelIndex&) const {
  return ColumnCount;
}

QVariant ProcessTreeModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const Node* n = nodeOf(index);
  const ProcessValue& p = n->p;
  const bool host = view_ == View::Host;
  const int depth = int(p.nspid.size()) - 1;
  const bool unseen = p.pid < 0;
  switch (role) {
    case Qt::DisplayRole:
      if (unseen && index.column() != CommandColumn && index.column() != StateColumn)
        return QStringLiteral("?");
      switch (index.column()) {
        case CommandColumn: {
          // With its arguments: `sleep 1000` and `sleep 2002` are different processes.
          if (p.args.isEmpty()) return p.comm;
          constexpr int kMax = 40;
          return p.args.size() > kMax ? p.args.left(kMax - 1) + QChar(0x2026) : p.args;
        }
        case PidColumn:
          return host ? p.pid : insidePid(p);
        case OtherPidColumn:
          return host ? insidePid(p) : p.pid;
        case PPidColumn: {
          if (host) return p.ppid;
          if (p.pid == rootPid_) return 0;  // its parent is outside: invisible inside
          auto it = nodes_.find(p.ppid);
          return it == nodes_.end() ? QVariant(0) : QVariant(insidePid(it->second->p));
        }
        case StateColumn:
          if (n->oomKilled) return QStringLiteral("OOM-killed");
          if (n->dead) return QStringLiteral("exited");
          return stateName(p.state);
        case NsDepthColumn:
          return depth;
        case ThreadsColumn:
          return p.threads;
        case UidColumn:
          return p.uid < 0 ? QVariant(QStringLiteral("?")) : QVariant(p.uid);
      }
      return {};
    case Qt::ToolTipRole:
      if (unseen)
        return tr(
            "The OOM killer ended a process of this container that lived and died "
            "between two samples of the tree: its pid and command were never seen.");
      return tr("%1: host pid %2, pid %3 in the container; NSpid %4")
          .arg(p.args.isEmpty() ? p.comm : p.args)
          .arg(p.pid)
          .arg(insidePid(p))
          .arg([&] {
            QStringList parts;
            for (qint64 v : p.nspid) parts << QString::number(v);
            return parts.join(QLatin1Char(' '));
          }());
    case Qt::FontRole:
      if (n->dead) {
        QFont f;
        f.setStrikeOut(true);
        return f;
      }
      if (p.pid == rootPid_) {
        QFont f;
        f.setBold(true);
        return f;
      }
      return {};
    case Qt::ForegroundRole:
      if (n->oomKilled) return QBrush(QColor(0xd0, 0x30, 0x30));
      if (n->dead) return QBrush(QColor(0x90, 0x90, 0x90));
      return {};
    case Qt::TextAlignmentRole:
      if (index.column() != CommandColumn && index.column() != StateColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
      return {};
    case HostPidRole:
      return p.pid;
    case InsidePidRole:
      return insidePid(p);
    case NsDepthRole:
      return depth;
    case PidNsRole:
      return p.ns.value(QStringLiteral("pid"));
    case DeadRole:
      return n->dead;
    case OomKilledRole:
      return n->oomKilled;
    case ContainerRootRole:
      return p.pid == rootPid_;
    case CommRole:
      return p.comm;
  }
  return {};
}

QVariant ProcessTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  const bool host = view_ == View::Host;
  switch (section) {
    case CommandColumn:
      return tr("Command");
    case PidColumn:
      return host ? tr("Host PID") : tr("PID");
    case OtherPidColumn:
      return host ? tr("PID inside") : tr("Host PID");
    case PPidColumn:
      return host ? tr("Host PPID") : tr("PPID");
    case StateColumn:
      return tr("State");
    case NsDepthColumn:
      return tr("PID ns depth");
    case ThreadsColumn:
      return tr("Threads");
    case UidColumn:
      return tr("UID");
  }
  return {};
}

}  // namespace boxlab::gui
