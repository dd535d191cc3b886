#include "checks_panel.hpp"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "check_model.hpp"

namespace boxlab::gui {

ChecksPanel::ChecksPanel(CheckModel* model, QWidget* parent) : QWidget(parent), model_(model) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* top = new QHBoxLayout;
  title_ = new QLabel(tr("<i>Open a lab step to see its checks.</i>"), this);
  title_->setTextFormat(Qt::RichText);
  status_ = new QLabel(this);
  status_->setTextFormat(Qt::RichText);
  top->addWidget(title_, 1);
  top->addWidget(status_);
  layout->addLayout(top);
  table_ = new QTableView(this);
  table_->setModel(model);
  table_->setAccessibleName(tr("Checks"));
  table_->verticalHeader()->hide();
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setWordWrap(true);
  table_->horizontalHeader()->setSectionResizeMode(CheckModel::TitleColumn, QHeaderView::Stretch);
  table_->horizontalHeader()->setSectionResizeMode(CheckModel::StatusColumn,
                                                   QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(CheckModel::ExpectedColumn,
                                                   QHeaderView::Stretch);
  table_->horizontalHeader()->setSectionResizeMode(CheckModel::ObservedColumn,
                                                   QHeaderView::Stretch);
  layout->addWidget(table_, 2);
  detail_ = new QLabel(this);
  detail_->setWordWrap(true);
  detail_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(detail_);
  hints_ = new QTextBrowser(this);
  hints_->setAccessibleName(tr("Hints"));
  hints_->setMaximumHeight(110);
  hints_->hide();
  layout->addWidget(hints_, 1);
  auto* buttons = new QHBoxLayout;
  hintButton_ = new QPushButton(tr("&Hint"), this);
  hintButton_->setToolTip(tr("Reveal the next hint for this step (F1)"));
  checkButton_ = new QPushButton(tr("Check &now"), this);
  checkButton_->setToolTip(tr("Run this step's checks now (F5)"));
  auto_ = new QCheckBox(tr("Re-check &automatically"), this);
  auto_->setChecked(true);
  buttons->addWidget(hintButton_);
  buttons->addStretch();
  buttons->addWidget(auto_);
  buttons->addWidget(checkButton_);
  layout->addLayout(buttons);
  connect(hintButton_, &QPushButton::clicked, this, &ChecksPanel::hintRequested);
  connect(checkButton_, &QPushButton::clicked, this, &ChecksPanel::checkNowRequested);
  connect(auto_, &QCheckBox::toggled, this, &ChecksPanel::autoRecheckToggled);
  connect(model, &QAbstractItemModel::modelReset, this, &ChecksPanel::updateStatus);
  // A reset (another step, or a lab's introduction) leaves no current row and may say so
  // without currentRowChanged: the last step's check must not stay in the detail.
  connect(model, &QAbstractItemModel::modelReset, this, &ChecksPanel::showDetail);
  auto fit = [this] {
    table_->resizeRowsToContents();
    if (int h = neededHeight(); h > height()) emit wantsHeight(h);
  };
  connect(model, &QAbstractItemModel::modelReset, this, fit);
  connect(model, &QAbstractItemModel::dataChanged, this, [this, fit] {
    updateStatus();
    showDetail();
    fit();
  });
  connect(model, &QAbstractItemModel::rowsInserted, this, &ChecksPanel::updateStatus);
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          &ChecksPanel::showDetail);
  setEnabledActions(false);
  updateStatus();
}

int ChecksPanel::neededHeight() const {
  int rows = 0;
  for (int r = 0; r < model_->rowCount(); ++r) rows += table_->rowHeight(r);
  int tableHeight = table_->horizontalHeader()->height() + rows + 2 * table_->frameWidth() + 4;
  if (table_->horizontalScrollBar()->isVisible())
    tableHeight += table_->horizontalScrollBar()->height();
  auto* box = static_cast<QVBoxLayout*>(layout());
  int others = 0, items = 0;
  for (int i = 0; i < box->count(); ++i) {
    QLayoutItem* item = box->itemAt(i);
    if (item->widget() == table_) continue;
    if (item->widget() && item->widget()->isHidden()) continue;
    // A wrapped label's height for the width it has.
    int h = item->hasHeightForWidth() ? item->heightForWidth(std::max(200, width() - 8))
                                      : item->sizeHint().height();
    others += h;
    ++items;
  }
  QMargins m = box->contentsMargins();
  return tableHeight + others + box->spacing() * items + m.top() + m.bottom();
}

bool ChecksPanel::autoRecheck() const {
  return auto_->isChecked();
}

void ChecksPanel::setEnabledActions(bool enabled) {
  actionsEnabled_ = enabled;
  updateHintButton();
  checkButton_->setEnabled(enabled);
  auto_->setEnabled(enabled);
}

void ChecksPanel::setStepTitle(const QString& title) {
  title_->setText(title.isEmpty() ? tr("<i>Open a lab step to see its checks.</i>")
                                  : QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
}

void ChecksPanel::clearHints() {
  hintsMarkdown_.clear();
  hints_->clear();
  hints_->hide();
  hintsShown_ = 0;
  hintsTotal_ = -1;
  updateHintButton();
}

void ChecksPanel::setHintCount(int shown, int total) {
  hintsShown_ = shown;
  hintsTotal_ = total;
  if (hintsMarkdown_.isEmpty() && shown > 0) {
    // Revealed in an earlier session: say so rather than show an empty box.
    hints_->setMarkdown(
        tr("*You revealed %1 of %2 hints for this step earlier.*").arg(shown).arg(total));
    hints_->show();
  }
  updateHintButton();
}

void ChecksPanel::addHint(const QString& markdown, int index, int total) {
  if (hintsMarkdown_.isEmpty()) hints_->clear();
  hintsMarkdown_ +=
      tr("**Hint %1 of %2.** ").arg(index).arg(total) + markdown + QStringLiteral("\n\n");
  hints_->setMarkdown(hintsMarkdown_);
  hints_->show();
  hintsShown_ = index;
  hintsTotal_ = total;
  updateHintButton();
}

void ChecksPanel::updateHintButton() {
  bool more = hintsTotal_ < 0 || hintsShown_ < hintsTotal_;
  hintButton_->setEnabled(actionsEnabled_ && more);
  if (hintsTotal_ == 0)
    hintButton_->setText(tr("No hints"));
  else if (!more)
    hintButton_->setText(tr("No more hints"));
  else if (hintsTotal_ > 0)
    hintButton_->setText(tr("&Hint (%1 of %2)").arg(hintsShown_ + 1).arg(hintsTotal_));
  else
    hintButton_->setText(tr("&Hint"));
}

void ChecksPanel::updateStatus() {
  int total = model_->rowCount();
  int passed = model_->passedCount();
  if (total == 0) {
    status_->clear();
  } else if (model_->allPassed()) {
    status_->setText(
        tr("<span style='color:#209a40'><b>\u2714 Step complete: all %1 checks pass</b></span>")
            .arg(total));
  } else if (model_->maxPoints() > 0) {
    status_->setText(tr("%1 of %2 checks pass (%3 of %4 points)")
                         .arg(passed)
                         .arg(total)
                         .arg(model_->points())
                         .arg(model_->maxPoints()));
  } else {
    status_->setText(tr("%1 of %2 checks pass").arg(passed).arg(total));
  }
  if (total > 0 && !table_->currentIndex().isValid()) {
    // Point at the first check that does not pass yet.
    for (int r = 0; r < total; ++r)
      if (model_->index(r, 0).data(CheckModel::StatusRole).toString() != QLatin1String("pass")) {
        table_->setCurrentIndex(model_->index(r, 0));
        break;
      }
  }
}

void ChecksPanel::showDetail() {
  QModelIndex i = table_->currentIndex();
  if (!i.isValid()) {
    detail_->clear();
    return;
  }
  QModelIndex row = i.siblingAtColumn(0);
  QString status = row.data(CheckModel::StatusRole).toString();
  QString hint = row.data(CheckModel::HintRole).toString();
  QString expected = i.siblingAtColumn(CheckModel::ExpectedColumn).data().toString();
  QString observed = i.siblingAtColumn(CheckModel::ObservedColumn).data().toString();
  QString text = QStringLiteral("<b>%1</b> — %2")
                     .arg(row.data().toString().toHtmlEscaped(), status.toHtmlEscaped());
  if (!expected.isEmpty() || !observed.isEmpty())
    text += tr("<br>expected: <tt>%1</tt><br>observed: <tt>%2</tt>")
                .arg(expected.toHtmlEscaped(), observed.toHtmlEscaped());
  if (!hint.isEmpty() && status != QLatin1String("pass"))
    text += tr("<br><i>%1</i>").arg(hint.toHtmlEscaped());
  detail_->setText(text);
}

}  // namespace boxlab::gui
