#include "namespace_view.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeView>
#include <QVBoxLayout>

#include "mount_model.hpp"
#include "namespace_model.hpp"
#include "security_model.hpp"

namespace boxlab::gui {

namespace {
QTableView* table(QAbstractItemModel* model, QWidget* parent, const QString& name) {
  auto* t = new QTableView(parent);
  t->setModel(model);
  t->setAccessibleName(name);
  t->verticalHeader()->hide();
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  t->setAlternatingRowColors(true);
  t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  t->horizontalHeader()->setStretchLastSection(true);
  t->setWordWrap(false);
  // One line per row: seven namespaces fit without scrolling in a small dock.
  t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
  return t;
}

QWidget* pane(QSplitter* split) {
  auto* w = new QWidget(split);
  auto* l = new QVBoxLayout(w);
  l->setContentsMargins(0, 0, 0, 0);
  split->addWidget(w);
  return w;
}
}  // namespace

NamespaceView::NamespaceView(NamespaceModel* namespaces, SecurityModel* security,
                             MountModel* mounts, QWidget* parent)
    : QWidget(parent), securityModel_(security) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* split = new QSplitter(Qt::Vertical, this);

  QWidget* top = pane(split);
  // One line in a narrow dock: the rows below need the height.
  auto* nsLabel =
      new QLabel(tr("<b>Namespaces</b>: the same inode means shared with the host."), top);
  nsLabel->setToolTip(
      tr("The same inode means the container shares that view of the system "
         "with the host."));
  nsLabel->setWordWrap(true);
  top->layout()->addWidget(nsLabel);
  namespaces_ = table(namespaces, top, tr("Namespaces"));
  // Every kind in view: the header and seven one-line rows (sizes as styled, hence polished
  // first; a couple of pixels spare, or a scroll bar appears for the last one).
  namespaces_->ensurePolished();
  namespaces_->horizontalHeader()->ensurePolished();
  namespaces_->setMinimumHeight(namespaces_->horizontalHeader()->sizeHint().height() +
                                namespaces->rowCount() *
                                    namespaces_->verticalHeader()->defaultSectionSize() +
                                2 * namespaces_->frameWidth() + 4);
  top->layout()->addWidget(namespaces_);

  // Security and mounts share the lower half as tabs, security first: in a dock a third of
  // the window high, a third pane would leave each too few rows.
  auto* tabs = new QTabWidget(split);
  split->addWidget(tabs);
  auto* middle = new QWidget(tabs);
  auto* ml = new QVBoxLayout(middle);
  ml->setContentsMargins(2, 4, 2, 2);
  banner_ = new QLabel(middle);
  banner_->setWordWrap(true);
  banner_->setAutoFillBackground(true);
  banner_->setMargin(4);
  banner_->setAccessibleName(tr("Security summary"));
  ml->addWidget(banner_);
  security_ = new QTreeView(middle);
  security_->setModel(security);
  security_->setAccessibleName(tr("Security"));
  security_->setToolTip(
      tr("Capabilities, seccomp, no_new_privs and device rules of the "
         "container's first process. Expand a row for the names."));
  security_->setAlternatingRowColors(true);
  security_->setUniformRowHeights(true);
  security_->setWordWrap(false);
  security_->header()->setSectionResizeMode(SecurityModel::SettingColumn,
                                            QHeaderView::ResizeToContents);
  security_->header()->setStretchLastSection(true);
  ml->addWidget(security_, 1);
  tabs->addTab(middle, tr("&Security"));

  auto* bottom = new QWidget(tabs);
  auto* bl = new QVBoxLayout(bottom);
  bl->setContentsMargins(2, 4, 2, 2);
  auto* row = new QHBoxLayout;
  row->addWidget(
      new QLabel(tr("<b>Mounts</b> the container sees (/proc/self/mountinfo inside)"), bottom), 1);
  auto* refresh = new QPushButton(tr("&Refresh mounts"), bottom);
  row->addWidget(refresh);
  bl->addLayout(row);
  mounts_ = table(mounts, bottom, tr("Mounts"));
  bl->addWidget(mounts_);
  tabs->addTab(bottom, tr("&Mounts"));

  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 5);
  layout->addWidget(split);
  connect(refresh, &QPushButton::clicked, this, &NamespaceView::refreshMountsRequested);
  connect(security_, &QTreeView::expanded, this, [this](const QModelIndex& i) {
    expanded_.insert(i.data(SecurityModel::KeyRole).toString());
  });
  connect(security_, &QTreeView::collapsed, this, [this](const QModelIndex& i) {
    expanded_.remove(i.data(SecurityModel::KeyRole).toString());
  });
  connect(security, &SecurityModel::securityChanged, this, &NamespaceView::showSecurity);
  showSecurity();
}

void NamespaceView::showSecurity() {
  // The rows were rebuilt: open again what the learner had open.
  for (const QString& key : QSet<QString>(expanded_)) {
    QModelIndex i = securityModel_->rowFor(key);
    if (i.isValid()) security_->expand(i);
  }
  QPalette p = banner_->palette();
  if (!securityModel_->hasData()) {
    banner_->setText(securityModel_->container().isEmpty()
                         ? tr("No container watched.")
                         : tr("Waiting for the engine's container.security event…"));
    p.setColor(QPalette::Window, palette().color(QPalette::AlternateBase));
    p.setColor(QPalette::WindowText, palette().color(QPalette::WindowText));
  } else if (securityModel_->isPrivileged()) {
    banner_->setText(QStringLiteral("⚠ ") + securityModel_->summary());
    p.setColor(QPalette::Window, QColor(0xf8, 0xd7, 0xda));
    p.setColor(QPalette::WindowText, QColor(0x72, 0x1c, 0x24));
  } else {
    banner_->setText(securityModel_->summary());
    p.setColor(QPalette::Window, QColor(0xd4, 0xed, 0xda));
    p.setColor(QPalette::WindowText, QColor(0x15, 0x57, 0x24));
  }
  banner_->setPalette(p);
}

}  // namespace boxlab::gui
