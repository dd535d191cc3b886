#include "namespace_view.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "mount_model.hpp"
#include "namespace_model.hpp"

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
  return t;
}
}  // namespace

NamespaceView::NamespaceView(NamespaceModel* namespaces, MountModel* mounts, QWidget* parent)
    : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* split = new QSplitter(Qt::Vertical, this);
  auto* top = new QWidget(split);
  auto* tl = new QVBoxLayout(top);
  tl->setContentsMargins(0, 0, 0, 0);
  auto* nsLabel = new QLabel(tr("<b>Namespaces</b>: the same inode means the container shares "
                                "that view of the system with the host."),
                             top);
  nsLabel->setWordWrap(true);
  tl->addWidget(nsLabel);
  namespaces_ = table(namespaces, top, tr("Namespaces"));
  tl->addWidget(namespaces_);
  auto* bottom = new QWidget(split);
  auto* bl = new QVBoxLayout(bottom);
  bl->setContentsMargins(0, 0, 0, 0);
  auto* row = new QHBoxLayout;
  row->addWidget(
      new QLabel(tr("<b>Mounts</b> the container sees (/proc/self/mountinfo inside)"), bottom), 1);
  auto* refresh = new QPushButton(tr("&Refresh mounts"), bottom);
  row->addWidget(refresh);
  bl->addLayout(row);
  mounts_ = table(mounts, bottom, tr("Mounts"));
  bl->addWidget(mounts_);
  split->addWidget(top);
  split->addWidget(bottom);
  layout->addWidget(split);
  connect(refresh, &QPushButton::clicked, this, &NamespaceView::refreshMountsRequested);
}

}  // namespace boxlab::gui
