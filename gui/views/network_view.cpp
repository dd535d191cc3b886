#include "network_view.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTreeView>
#include <QVBoxLayout>
#include <algorithm>

#include "network_model.hpp"

namespace boxlab::gui {

namespace {

constexpr int kMargin = 10;
constexpr int kLine = 18;    // one text line
constexpr int kRowGap = 12;  // between container rows
// Widths of the host box, the veth line and a container box: what the pane has, within limits.
struct Columns {
  int host, link, box;
};
constexpr Columns kMinColumns{220, 56, 200}, kMaxColumns{320, 120, 340};

Columns columnsFor(int width) {
  int room = width - 2 * kMargin;
  Columns c;
  c.host = std::clamp(room * 40 / 100, kMinColumns.host, kMaxColumns.host);
  c.link = std::clamp(room * 14 / 100, kMinColumns.link, kMaxColumns.link);
  c.box = std::clamp(room - c.host - c.link, kMinColumns.box, kMaxColumns.box);
  return c;
}

const QColor kBridge(0x3d, 0x7e, 0xc9), kVeth(0x2a, 0x9d, 0x5c), kPort(0xd0, 0x7a, 0x10),
    kDown(0xb0, 0x30, 0x30);

// The rows the diagram draws: each attached container next to its host veth end (grouped by
// bridge), then containers with no network.
struct Row {
  const NetNamespace* ns = nullptr;
  const NetVethPair* veth = nullptr;
  QString bridge;
  int height = 0;
  QVector<NetPort> ports;  // published to this container
};

// Name, then "netns N, pid P", then one line per interface.
int boxHeight(const NetNamespace* ns, qsizetype ports) {
  return 2 * kLine + 6 +
         kLine * int(ports + (ns ? std::max<qsizetype>(1, ns->interfaces.size()) : 1)) + 6;
}

QVector<Row> layoutRows(const NetTopologyEvent& t) {
  QVector<Row> rows;
  auto nsOf = [&](const QString& container) -> const NetNamespace* {
    for (const auto& n : t.namespaces)
      if (n.container == container && !container.isEmpty()) return &n;
    return nullptr;
  };
  auto portsOf = [&](const QString& container) {
    QVector<NetPort> out;
    for (const auto& p : t.ports)
      if (p.containerName == container) out << p;
    return out;
  };
  QStringList placed;
  for (const auto& b : t.bridges)
    for (const auto& v : t.vethPairs)
      if (v.bridge == b.name) {
        const NetNamespace* ns = nsOf(v.container);
        QVector<NetPort> ports = portsOf(v.container);
        rows.push_back({ns, &v, b.name, boxHeight(ns, ports.size()), ports});
        placed << v.container;
      }
  // Pairs made by hand, on no bridge of boxlab's: host end and container end, a cable between.
  for (const auto& v : t.vethPairs) {
    bool onBridge = false;
    for (const auto& b : t.bridges) onBridge = onBridge || v.bridge == b.name;
    if (onBridge || placed.contains(v.container)) continue;
    const NetNamespace* ns = nsOf(v.container);
    rows.push_back({ns, &v, QString(), boxHeight(ns, 0), {}});
    placed << v.container;
  }
  for (const auto& n : t.namespaces)
    if (!n.container.isEmpty() && !placed.contains(n.container))
      rows.push_back({&n, nullptr, QString(), boxHeight(&n, 0), {}});
  return rows;
}

QString ifaceLine(const NetInterface& i) {
  QString s = i.name;
  if (!i.addresses.isEmpty()) s += QStringLiteral("  ") + i.addresses.join(QStringLiteral(", "));
  if (!i.up) s += QStringLiteral("  (down)");
  return s;
}

// The host frame's title (spans the host and link columns).
QString hostTitle(const NetTopologyEvent& t) {
  return t.hostPath.isEmpty()
             ? NetworkDiagram::tr("host side (netns %1)").arg(t.hostInode)
             : NetworkDiagram::tr("host side: %1 (netns %2)").arg(t.hostPath).arg(t.hostInode);
}

// A container box's second line.
QString rowSubtitle(const Row& row) {
  if (!row.ns) return NetworkDiagram::tr("not running");
  if (!row.veth)
    return NetworkDiagram::tr("netns %1, pid %2, no network (only lo)")
        .arg(row.ns->inode)
        .arg(row.ns->pid);
  if (row.bridge.isEmpty())
    return NetworkDiagram::tr("netns %1, pid %2").arg(row.ns->inode).arg(row.ns->pid);
  return NetworkDiagram::tr("netns %1, pid %2, network %3")
      .arg(row.ns->inode)
      .arg(row.ns->pid)
      .arg(row.ns->network);
}

QString rowTitle(const Row& row) {
  return row.veth ? row.veth->container : row.ns->container;
}

QString portLine(const NetPort& port) {
  return NetworkDiagram::tr("\u2190 host port %1 \u2192 :%2/%3")
      .arg(port.host)
      .arg(port.container)
      .arg(port.protocol);
}

QString handMadeEnd(const NetVethPair& v, const NetNamespace* host) {
  QString hostEnd = v.host;
  if (host)
    for (const auto& i : host->interfaces)
      if (i.name == v.host) hostEnd = ifaceLine(i);
  return NetworkDiagram::tr("%1 (veth, by hand)").arg(hostEnd);
}

// Columns wide enough for every text in them (cards are sized to their text, never cut), and
// at least what the pane's width gives them.
Columns columnsFor(int width, const NetTopologyEvent& t, const NetNamespace* host,
                   const QFont& normal) {
  Columns c = columnsFor(width);
  QFont boldFont = normal;
  boldFont.setBold(true);
  QFontMetrics fm(normal), bold(boldFont);
  int hostNeed = bold.horizontalAdvance(hostTitle(t)) + 16 - kMinColumns.link, boxNeed = 0;
  if (host)
    for (const auto& i : host->interfaces)
      if (i.kind != QLatin1String("veth") && i.kind != QLatin1String("bridge"))
        hostNeed = std::max(hostNeed, fm.horizontalAdvance(ifaceLine(i)) + 20);
  for (const auto& b : t.bridges)
    hostNeed = std::max(
        hostNeed, bold.horizontalAdvance(QStringLiteral("bridge %1  %2  (missing)")
                                             .arg(b.name, b.addresses.join(QStringLiteral(", ")))) +
                      30);
  for (const Row& row : layoutRows(t)) {
    boxNeed = std::max({boxNeed, bold.horizontalAdvance(rowTitle(row)) + 18,
                        fm.horizontalAdvance(rowSubtitle(row)) + 18});
    if (row.ns)
      for (const auto& i : row.ns->interfaces)
        boxNeed = std::max(boxNeed, fm.horizontalAdvance(ifaceLine(i)) + 22);
    for (const auto& port : row.ports)
      boxNeed = std::max(boxNeed, bold.horizontalAdvance(portLine(port)) + 22);
    if (row.veth && !row.bridge.isEmpty())
      hostNeed = std::max(
          hostNeed, fm.horizontalAdvance(NetworkDiagram::tr("%1 (veth)").arg(row.veth->host)) + 66);
    if (row.veth && row.bridge.isEmpty())
      hostNeed = std::max(hostNeed, fm.horizontalAdvance(handMadeEnd(*row.veth, host)) + 36);
  }
  const int minHost = std::max(kMinColumns.host, hostNeed),
            minBox = std::max(kMinColumns.box, boxNeed);
  c.host = std::max(c.host, minHost);
  c.box = std::max(c.box, minBox);
  // Over the pane's width: give back the share taken from it, down to what the text needs
  // (the scroll area then scrolls sideways).
  const int room = width - 2 * kMargin;
  if (c.host + c.link + c.box > room) c.box = std::max(minBox, room - c.host - c.link);
  if (c.host + c.link + c.box > room) c.host = std::max(minHost, room - c.link - c.box);
  if (c.host + c.link + c.box > room) c.link = kMinColumns.link;
  return c;
}

}  // namespace

NetworkDiagram::NetworkDiagram(NetworkModel* model, QWidget* parent)
    : QWidget(parent), model_(model) {
  setAccessibleName(tr("Network diagram"));
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
  connect(model, &NetworkModel::topologyChanged, this, [this] {
    updateGeometry();
    update();
  });
}

int NetworkDiagram::contentHeight() const {
  const NetTopologyEvent& t = model_->topology();
  int h = kMargin + kLine * 2;  // title + host interfaces header
  const NetNamespace* host = model_->findNamespace(QStringLiteral("host"));
  int others = 0;
  if (host)
    for (const auto& i : host->interfaces)
      if (i.kind != QLatin1String("veth") && i.kind != QLatin1String("bridge")) ++others;
  h += kLine * others + kLine * int(t.bridges.size()) * 2;
  for (const auto& r : layoutRows(t)) h += r.height + kRowGap;
  h += kLine * int(t.ports.size() + 1) + kMargin * 2;
  return h;
}

int NetworkDiagram::neededWidth(int available) const {
  Columns c = columnsFor(available, model_->topology(),
                         model_->findNamespace(QStringLiteral("host")), font());
  return kMargin * 2 + c.host + c.link + c.box;
}

QSize NetworkDiagram::sizeHint() const {
  return {
      std::max(kMargin * 2 + kMaxColumns.host + kMaxColumns.link + kMaxColumns.box, neededWidth(0)),
      std::max(200, contentHeight())};
}

// The scroll area never makes the diagram smaller than this: wider text scrolls sideways,
// more cards scroll down, nothing is cut.
QSize NetworkDiagram::minimumSizeHint() const {
  return {neededWidth(0), std::max(160, contentHeight())};
}

void NetworkDiagram::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  const QPalette& pal = palette();
  p.fillRect(rect(), pal.color(QPalette::Base));
  drawn_.clear();
  extent_ = {};
  textCut_ = false;
  const NetTopologyEvent& t = model_->topology();
  QFont normal = font();
  QFont bold = normal;
  bold.setBold(true);
  QFontMetrics fm(normal);
  const QColor text = pal.color(QPalette::Text);
  const QColor frame = pal.color(QPalette::Mid);
  if (!model_->hasTopology()) {
    p.setPen(pal.color(QPalette::PlaceholderText));
    p.drawText(rect().adjusted(kMargin, kMargin, -kMargin, -kMargin), Qt::TextWordWrap,
               tr("No network picture yet: the engine sends one (net.topology) when it starts "
                  "and whenever a container joins or leaves a network."));
    return;
  }
  const NetNamespace* host = model_->findNamespace(QStringLiteral("host"));
  const Columns col = columnsFor(width(), t, host, normal);
  const int hostW = col.host, linkW = col.link, boxW = col.box;
  const int hostX = kMargin;
  const int boxX = hostX + hostW + linkW;
  int y = kMargin;

  // Host side: a frame around everything in the host's namespace.
  p.setFont(bold);
  p.setPen(text);
  p.drawText(QRect(hostX + 6, y, hostW + linkW, kLine), Qt::AlignVCenter,
             QFontMetrics(bold).elidedText(hostTitle(t), Qt::ElideMiddle, hostW + linkW - 10));
  const int hostTop = y;
  y += kLine + 2;
  p.setFont(normal);
  if (host)
    for (const auto& i : host->interfaces) {
      if (i.kind == QLatin1String("veth") || i.kind == QLatin1String("bridge")) continue;
      p.setPen(i.up ? text : kDown);
      p.drawText(QRect(hostX + 10, y, hostW - 16, kLine), Qt::AlignVCenter,
                 fm.elidedText(ifaceLine(i), Qt::ElideRight, hostW - 16));
      y += kLine;
    }
  y += 4;

  // A container's box: its name and netns, then each interface with its addresses.
  auto drawBox = [&](const Row& row, int top, const QColor& edge, const QString& title,
                     const QString& subtitle) {
    QRect box(boxX, top, boxW, row.height);
    extent_ = {std::max(extent_.x(), box.right()), std::max(extent_.y(), box.bottom())};
    auto cut = [&](const QFontMetrics& m, const QString& s, int room) {
      textCut_ = textCut_ || m.horizontalAdvance(s) > room;
    };
    cut(QFontMetrics(bold), title, boxW - 14);
    cut(fm, subtitle, boxW - 14);
    if (row.ns)
      for (const auto& i : row.ns->interfaces) cut(fm, ifaceLine(i), boxW - 18);
    p.setPen(QPen(edge, 1.5));
    p.setBrush(pal.color(QPalette::AlternateBase));
    p.drawRoundedRect(box, 6, 6);
    p.setPen(text);
    p.setFont(bold);
    p.drawText(QRect(box.left() + 8, top + 3, boxW - 12, kLine), Qt::AlignVCenter,
               QFontMetrics(bold).elidedText(title, Qt::ElideRight, boxW - 14));
    p.setFont(normal);
    p.setPen(pal.color(QPalette::PlaceholderText));
    p.drawText(QRect(box.left() + 8, top + 3 + kLine, boxW - 12, kLine), Qt::AlignVCenter,
               fm.elidedText(subtitle, Qt::ElideRight, boxW - 14));
    int ly = top + 2 * kLine + 6;
    if (row.ns)
      for (const auto& i : row.ns->interfaces) {
        p.setPen(i.up ? text : kDown);
        p.drawText(QRect(box.left() + 12, ly, boxW - 16, kLine), Qt::AlignVCenter,
                   fm.elidedText(ifaceLine(i), Qt::ElideRight, boxW - 18));
        ly += kLine;
      }
    p.setFont(bold);
    for (const auto& port : row.ports) {
      p.setPen(port.proxyRunning ? kPort : kDown);
      p.drawText(QRect(box.left() + 12, ly, boxW - 16, kLine), Qt::AlignVCenter,
                 fm.elidedText(portLine(port), Qt::ElideRight, boxW - 18));
      ly += kLine;
    }
    p.setFont(normal);
  };

  // The middle of the line of the veth's container end (ip lists lo first) in a box at top.
  auto peerMidY = [&](const Row& row, int top) {
    int at = 0;
    if (row.ns)
      for (int i = 0; i < row.ns->interfaces.size(); ++i)
        if (row.ns->interfaces[i].name == row.veth->containerIf) at = i;
    return top + 2 * kLine + 6 + at * kLine + kLine / 2;
  };
  // The veth pair's cable from its host end to the container's box, labelled.
  auto drawCable = [&](const QRect& end, int midY, const QColor& color) {
    p.setPen(QPen(color, 2.5));
    p.drawLine(end.right(), midY, boxX, midY);
    p.setPen(text);
    p.drawText(QRect(end.right() + 4, midY - kLine - 2, boxX - end.right() - 8, kLine),
               Qt::AlignCenter, tr("veth pair"));
  };

  QVector<Row> rows = layoutRows(t);
  int r = 0;
  for (const auto& b : t.bridges) {
    // The bridge: a bar with its name and address, its veth ends hanging below it.
    QRect bar(hostX + 8, y, hostW - 16, kLine + 2);
    p.setPen(Qt::NoPen);
    p.setBrush(b.present ? kBridge : frame);
    p.drawRoundedRect(bar, 4, 4);
    p.setPen(Qt::white);
    p.setFont(bold);
    QString label = tr("bridge %1  %2%3")
                        .arg(b.name, b.addresses.join(QStringLiteral(", ")),
                             b.present ? (b.up ? QString() : tr("  (down)")) : tr("  (missing)"));
    p.drawText(bar.adjusted(6, 0, -4, 0), Qt::AlignVCenter,
               QFontMetrics(bold).elidedText(label, Qt::ElideRight, bar.width() - 10));
    p.setFont(normal);
    const int barBottom = bar.bottom();
    y += kLine + 2 + kLine / 2;
    for (; r < rows.size() && rows[r].bridge == b.name; ++r) {
      const Row& row = rows[r];
      int midY = peerMidY(row, y);
      // Host veth end, on the bridge.
      QRect end(hostX + 40, midY - kLine / 2 - 1, hostW - 56, kLine + 2);
      p.setPen(QPen(kBridge, 2));
      p.drawLine(hostX + 24, barBottom, hostX + 24, midY);
      p.drawLine(hostX + 24, midY, end.left(), midY);
      p.setPen(QPen(row.veth->present ? kVeth : kDown, 1.5));
      p.setBrush(pal.color(QPalette::Base));
      p.drawRoundedRect(end, 3, 3);
      p.setPen(text);
      p.drawText(
          end.adjusted(6, 0, -4, 0), Qt::AlignVCenter,
          fm.elidedText(tr("%1 (veth)").arg(row.veth->host), Qt::ElideRight, end.width() - 10));
      drawCable(end, midY, row.veth->present ? kVeth : kDown);  // host end <-> its eth0
      drawBox(row, y, kVeth, rowTitle(row), rowSubtitle(row));
      drawn_ << row.veth->container;
      y += row.height + kRowGap;
    }
    y += kLine / 2;
  }
  // Veth pairs made by hand: the host end stands alone in the host side, cabled to its peer.
  for (; r < rows.size() && rows[r].veth && rows[r].bridge.isEmpty(); ++r) {
    const Row& row = rows[r];
    int midY = peerMidY(row, y);
    QRect end(hostX + 10, midY - kLine / 2 - 1, hostW - 26, kLine + 2);
    p.setPen(QPen(kVeth, 1.5));
    p.setBrush(pal.color(QPalette::Base));
    p.drawRoundedRect(end, 3, 3);
    p.setPen(text);
    p.drawText(end.adjusted(6, 0, -4, 0), Qt::AlignVCenter,
               fm.elidedText(handMadeEnd(*row.veth, host), Qt::ElideRight, end.width() - 10));
    drawCable(end, midY, kVeth);
    drawBox(row, y, kVeth, rowTitle(row), rowSubtitle(row));
    drawn_ << row.veth->container;
    y += row.height + kRowGap;
  }
  const int hostBottom = y;
  p.setPen(QPen(frame, 1.2, Qt::DashLine));
  p.setBrush(Qt::NoBrush);
  p.drawRoundedRect(QRect(hostX, hostTop - 2, hostW, hostBottom - hostTop), 8, 8);

  // Containers with a namespace of their own but no network: only lo, no way out.
  int boxY = hostBottom + kRowGap;
  for (const auto& row : rows) {
    if (row.veth) continue;
    drawBox(row, boxY, frame, rowTitle(row), rowSubtitle(row));
    drawn_ << row.ns->container;
    boxY += row.height + kRowGap;
  }

  // Published ports: host port -> container address:port, through boxlab's proxy.
  int py = std::max(hostBottom, boxY) + 4;
  extent_.setY(std::max(extent_.y(), hostBottom + int(t.ports.size()) * kLine));
  for (const auto& port : t.ports) {
    p.setPen(port.proxyRunning ? kPort : kDown);
    p.setFont(bold);
    p.drawText(QRect(hostX + 6, py, width() - 2 * kMargin, kLine), Qt::AlignVCenter,
               tr("published: host port %1/%2 \u2192 %3 %4:%5%6")
                   .arg(port.host)
                   .arg(port.protocol)
                   .arg(port.containerName, port.address)
                   .arg(port.container)
                   .arg(port.proxyRunning ? tr("  (proxy pid %1)").arg(port.proxyPid)
                                          : tr("  (proxy not running)")));
    py += kLine;
  }
  p.setFont(normal);
  if (t.bridges.isEmpty() && rows.isEmpty()) {
    p.setPen(pal.color(QPalette::PlaceholderText));
    p.drawText(QRect(hostX + 6, py, width() - 2 * kMargin, kLine * 2), Qt::TextWordWrap,
               tr("No networks and no container network namespaces yet. "
                  "`boxlab run --net bridge ...` attaches a container to boxlab0."));
  }
}

NetworkView::NetworkView(NetworkModel* model, QWidget* parent) : QWidget(parent), model_(model) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* top = new QHBoxLayout;
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  auto* refresh = new QPushButton(tr("Re&fresh"), this);
  refresh->setToolTip(tr("Read the network picture again (it also updates by itself)"));
  top->addWidget(summary_, 1);
  top->addWidget(refresh);
  layout->addLayout(top);
  auto* split = new QSplitter(Qt::Vertical, this);
  auto* scroll = new QScrollArea(split);
  diagram_ = new NetworkDiagram(model, scroll);
  scroll->setWidget(diagram_);
  scroll->setWidgetResizable(true);
  tree_ = new QTreeView(split);
  tree_->setModel(model);
  tree_->setAccessibleName(tr("Network namespaces and interfaces"));
  tree_->setAlternatingRowColors(true);
  tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  split->addWidget(scroll);
  split->addWidget(tree_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 1);
  layout->addWidget(split, 1);
  connect(refresh, &QPushButton::clicked, this, &NetworkView::refreshRequested);
  connect(model, &QAbstractItemModel::modelReset, tree_, &QTreeView::expandAll);
  connect(model, &NetworkModel::topologyChanged, this, [this] {
    const NetTopologyEvent& t = model_->topology();
    int containers = 0;
    for (const auto& n : t.namespaces)
      if (!n.container.isEmpty()) ++containers;
    summary_->setText(tr("%n network(s), ", nullptr, int(t.networks.size())) +
                      tr("%n container namespace(s), ", nullptr, containers) +
                      tr("%n veth pair(s), ", nullptr, int(t.vethPairs.size())) +
                      tr("%n published port(s)", nullptr, int(t.ports.size())));
  });
  summary_->setText(tr("Waiting for the engine's network picture\u2026"));
}

}  // namespace boxlab::gui
