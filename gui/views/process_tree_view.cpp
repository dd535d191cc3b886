#include "process_tree_view.hpp"

#include <QButtonGroup>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

#include "process_tree_model.hpp"

namespace boxlab::gui {

namespace {

// A stable tint per pid namespace (the host's stays untinted).
QColor tintFor(quint64 inode, int depth, const QPalette& pal) {
  if (depth <= 0 || inode == 0) return {};
  QColor c = QColor::fromHsv(int((inode * 47) % 360), 150, 230);
  bool dark = pal.color(QPalette::Base).lightness() < 128;
  c.setAlpha(dark ? 60 : 45);
  return c;
}

class NamespaceDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override {
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    if (index.column() != 0) return s;
    // Room for the namespace bars and the OOM badge drawn beside the text.
    int extra = index.data(ProcessTreeModel::NsDepthRole).toInt() * 5 + 2;
    if (index.data(ProcessTreeModel::OomKilledRole).toBool())
      extra += QFontMetrics(option.font).horizontalAdvance(QStringLiteral("OOM")) + 16;
    return {s.width() + extra, s.height()};
  }
  void paint(QPainter* p, const QStyleOptionViewItem& option,
             const QModelIndex& index) const override {
    int depth = index.data(ProcessTreeModel::NsDepthRole).toInt();
    quint64 inode = index.data(ProcessTreeModel::PidNsRole).toULongLong();
    QColor tint = tintFor(inode, depth, option.palette);
    if (tint.isValid()) p->fillRect(option.rect, tint);
    QStyleOptionViewItem o = option;
    if (index.column() == 0 && depth > 0) {
      // One bar per pid namespace level: the container boundary, then each nested one.
      for (int level = 0; level < depth; ++level) {
        QColor bar = QColor::fromHsv(int((inode * 47 + quint64(level) * 90) % 360), 200, 200);
        p->fillRect(
            QRect(option.rect.left() + level * 5, option.rect.top(), 3, option.rect.height()), bar);
      }
      o.rect.adjust(depth * 5 + 2, 0, 0, 0);
    }
    QStyledItemDelegate::paint(p, o, index);
    if (index.data(ProcessTreeModel::OomKilledRole).toBool() && index.column() == 0) {
      // A red "OOM" badge right after the command's name.
      QFont f = option.font;
      int textEnd = o.rect.left() + QFontMetrics(f).horizontalAdvance(index.data().toString()) + 8;
      f.setPointSizeF(f.pointSizeF() * 0.8);
      f.setBold(true);
      int w = QFontMetrics(f).horizontalAdvance(QStringLiteral("OOM")) + 8;
      QRect badge(std::min(textEnd, o.rect.right() - w), o.rect.top() + 2, w, o.rect.height() - 4);
      p->save();
      p->setRenderHint(QPainter::Antialiasing);
      p->setPen(Qt::NoPen);
      p->setBrush(QColor(0xd0, 0x30, 0x30));
      p->drawRoundedRect(badge, 3, 3);
      p->setPen(Qt::white);
      p->setFont(f);
      p->drawText(badge, Qt::AlignCenter, QStringLiteral("OOM"));
      p->restore();
    }
    return;
  }
};

}  // namespace

ProcessTreeView::ProcessTreeView(ProcessTreeModel* model, QWidget* parent)
    : QWidget(parent), model_(model) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* bar = new QHBoxLayout;
  caption_ = new QLabel(this);
  caption_->setObjectName(QStringLiteral("processCaption"));
  caption_->setWordWrap(true);
  caption_->setTextFormat(Qt::RichText);
  hostButton_ = new QToolButton(this);
  hostButton_->setText(tr("As the &host sees it"));
  containerButton_ = new QToolButton(this);
  containerButton_->setText(tr("As the &container sees it"));
  auto* group = new QButtonGroup(this);
  for (QToolButton* b : {hostButton_, containerButton_}) {
    b->setCheckable(true);
    b->setAutoRaise(false);
    group->addButton(b);
  }
  hostButton_->setChecked(true);
  bar->addWidget(hostButton_);
  bar->addWidget(containerButton_);
  bar->addStretch();
  layout->addLayout(bar);
  layout->addWidget(caption_);
  tree_ = new QTreeView(this);
  tree_->setModel(model);
  tree_->setItemDelegate(new NamespaceDelegate(tree_));
  tree_->setUniformRowHeights(true);
  tree_->setAlternatingRowColors(false);
  tree_->setAllColumnsShowFocus(true);
  tree_->setAccessibleName(tr("Process tree"));
  tree_->setMinimumHeight(120);
  // Fixed widths: ResizeToContents would measure every row on every change (1,000 rows at
  // 10 Hz); the command column is fitted to its contents with the (throttled) caption.
  tree_->header()->setStretchLastSection(true);
  tree_->header()->setSectionResizeMode(QHeaderView::Interactive);
  QFontMetrics fm(font());
  for (int c = 1; c < ProcessTreeModel::ColumnCount; ++c)
    tree_->setColumnWidth(
        c, fm.horizontalAdvance(model->headerData(c, Qt::Horizontal).toString()) + 14);
  tree_->setColumnWidth(ProcessTreeModel::StateColumn,
                        fm.horizontalAdvance(QStringLiteral("OOM-killed")) + 14);
  layout->addWidget(tree_, 1);
  connect(containerButton_, &QToolButton::toggled, this, &ProcessTreeView::setContainerView);
  // New processes show up expanded; the caption follows the model, at most every 50 ms (a
  // snapshot changes many rows at once).
  captionTimer_.setSingleShot(true);
  captionTimer_.setInterval(50);
  connect(&captionTimer_, &QTimer::timeout, this, &ProcessTreeView::updateCaption);
  auto later = [this] {
    if (!captionTimer_.isActive()) captionTimer_.start();
  };
  connect(model, &QAbstractItemModel::rowsInserted, this, [this, later](const QModelIndex& parent) {
    if (parent.isValid()) tree_->expand(parent);
    later();
  });
  connect(model, &QAbstractItemModel::rowsRemoved, this, later);
  connect(model, &QAbstractItemModel::dataChanged, this, later);
  connect(model, &QAbstractItemModel::modelReset, this, later);
  updateCaption();
}

void ProcessTreeView::setContainerView(bool container) {
  model_->setView(container ? ProcessTreeModel::View::Container : ProcessTreeModel::View::Host);
  containerButton_->setChecked(container);
  hostButton_->setChecked(!container);
  updateCaption();
}

void ProcessTreeView::updateCaption() {
  tree_->resizeColumnToContents(0);
  if (model_->container().isEmpty()) {
    caption_->setText(tr("<i>No container watched. Pick one in the console's toolbar.</i>"));
    return;
  }
  if (model_->liveCount() == 0 && model_->deadCount() == 0) {
    // Watched, its first process tree still on its way (or it has none any more).
    caption_->setText(tr("<i>Container <b>%1</b>: waiting for its processes…</i>")
                          .arg(model_->container().toHtmlEscaped()));
    return;
  }
  QString ns = model_->containerPidNs()
                   ? tr("pid namespace <b>%1</b>").arg(model_->containerPidNs())
                   : tr("<b>no pid namespace of its own</b> (host numbering)");
  QString text = tr("Container <b>%1</b> · %2 · %3 running, %4 gone")
                     .arg(model_->container().toHtmlEscaped(), ns)
                     .arg(model_->liveCount())
                     .arg(model_->deadCount());
  if (int oom = model_->oomKilledCount())
    text += tr(" · <span style='color:#d03030'><b>%1 OOM-killed</b></span>").arg(oom);
  caption_->setText(text);
}

}  // namespace boxlab::gui
