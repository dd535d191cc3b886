#include "cgroup_view.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeView>
#include <QVBoxLayout>

#include "cgroup_files_model.hpp"

namespace boxlab::gui {

CgroupView::CgroupView(CgroupFilesModel* model, QWidget* parent) : QWidget(parent), model_(model) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* top = new QHBoxLayout;
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* refresh = new QPushButton(tr("&Refresh"), this);
  refresh->setToolTip(tr("Read the files again (the panel also does every 2 s while shown)"));
  top->addWidget(summary_, 1);
  top->addWidget(refresh, 0, Qt::AlignTop);
  layout->addLayout(top);
  tree_ = new QTreeView(this);
  tree_->setModel(model);
  tree_->setAccessibleName(tr("cgroup files"));
  tree_->setUniformRowHeights(true);
  tree_->setAlternatingRowColors(true);
  tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  tree_->header()->setStretchLastSection(true);
  layout->addWidget(tree_, 1);
  connect(refresh, &QPushButton::clicked, this, &CgroupView::refreshRequested);
  connect(model, &QAbstractItemModel::modelReset, this, [this] {
    tree_->expandAll();
    updateSummary();
  });
  updateSummary();
}

QString CgroupView::summaryText() const {
  return summary_->text();
}

void CgroupView::updateSummary() {
  if (model_->container().isEmpty()) {
    summary_->setText(tr("No container watched: its cgroup's files show here."));
    return;
  }
  if (model_->directoryCount() == 0) {
    summary_->setText(tr("%1: no cgroup files (it is not running, or this engine does not read "
                         "them).")
                          .arg(model_->container()));
    return;
  }
  QString version = model_->layout() == QLatin1String("v2")
                        ? tr("cgroup v2: one directory, files like memory.max")
                        : tr("cgroup v1 (%1): a directory per controller, files like "
                             "memory.limit_in_bytes")
                              .arg(model_->layout());
  summary_->setText(tr("%1's cgroup, %2. The values as `cat` shows them; hover a row for its "
                       "full path.")
                        .arg(model_->container(), version));
}

}  // namespace boxlab::gui
