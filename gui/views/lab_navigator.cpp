#include "lab_navigator.hpp"

#include <QClipboard>
#include <QDesktopServices>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTextBrowser>
#include <QTreeView>
#include <QVBoxLayout>

#include "instructions_markdown.hpp"
#include "lab_list_model.hpp"

namespace boxlab::gui {

LabNavigator::LabNavigator(LabListModel* model, QWidget* parent) : QWidget(parent), model_(model) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  notice_ = new QLabel(this);
  notice_->setWordWrap(true);
  notice_->setTextFormat(Qt::RichText);
  notice_->setFrameShape(QFrame::StyledPanel);
  notice_->setMargin(6);
  notice_->hide();
  layout->addWidget(notice_);
  auto* split = new QSplitter(Qt::Vertical, this);
  tree_ = new QTreeView(split);
  tree_->setModel(model);
  tree_->setHeaderHidden(true);
  tree_->setAccessibleName(tr("Labs and steps"));
  tree_->setUniformRowHeights(true);
  instructions_ = new QTextBrowser(split);
  instructions_->setAccessibleName(tr("Instructions"));
  // Links are ours to follow: copy links copy, the rest open outside.
  instructions_->setOpenLinks(false);
  connect(instructions_, &QTextBrowser::anchorClicked, this, &LabNavigator::onLink);
  instructions_->setPlaceholderText(tr("Pick a lab, then a step: its instructions show here."));
  split->addWidget(tree_);
  split->addWidget(instructions_);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 3);
  layout->addWidget(split, 1);
  connect(tree_, &QTreeView::activated, this, &LabNavigator::activate);
  connect(tree_, &QTreeView::clicked, this, &LabNavigator::activate);
  connect(model, &QAbstractItemModel::modelReset, tree_, &QTreeView::expandAll);
}

void LabNavigator::setNotice(const QString& text) {
  notice_->setText(text);
  notice_->setVisible(!text.isEmpty());
}

void LabNavigator::setInstructions(const QString& markdown) {
  commands_ = renderInstructions(instructions_->document(), markdown);
}

void LabNavigator::onLink(const QUrl& url) {
  if (url.scheme() != QLatin1String(kCopyScheme)) {
    QDesktopServices::openUrl(url);
    return;
  }
  bool ok = false;
  int i = url.path().toInt(&ok);
  if (!ok || i < 0 || i >= commands_.size()) return;
  QGuiApplication::clipboard()->setText(commands_[i]);
  emit commandCopied(commands_[i]);
}

void LabNavigator::select(const QString& labId, int stepIndex) {
  QModelIndex i = stepIndex > 0 ? model_->findStep(labId, stepIndex) : model_->findLab(labId);
  if (!i.isValid()) return;
  tree_->setCurrentIndex(i);
  // Centred, not just "visible": the pane is often resized (docks settle) right after, which
  // left the current step half under the edge.
  tree_->scrollTo(i, QAbstractItemView::PositionAtCenter);
}

void LabNavigator::activate(const QModelIndex& index) {
  if (!index.isValid()) return;
  QString lab = index.data(LabListModel::LabIdRole).toString();
  bool isLab = index.data(LabListModel::IsLabRole).toBool();
  emit stepActivated(lab, isLab ? 0 : index.data(LabListModel::StepIndexRole).toInt());
}

}  // namespace boxlab::gui
