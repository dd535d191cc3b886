#include "layer_view.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "layer_model.hpp"

namespace boxlab::gui {

namespace {
QTableView* table(QAbstractItemModel* model, QWidget* parent, const QString& name) {
  auto* t = new QTableView(parent);
  t->setModel(model);
  t->setAccessibleName(name);
  t->verticalHeader()->hide();
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  t->horizontalHeader()->setStretchLastSection(true);
  t->setWordWrap(false);
  return t;
}
}  // namespace

LayerView::LayerView(LayerModel* model, QWidget* parent)
    : QWidget(parent), model_(model), entries_(new LayerEntryModel(model, this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setTextFormat(Qt::RichText);
  layout->addWidget(summary_);
  auto* row = new QHBoxLayout;
  auto* label = new QLabel(tr("&Path:"), this);
  path_ = new QLineEdit(this);
  path_->setPlaceholderText(tr("a path inside the container, e.g. /etc"));
  path_->setClearButtonEnabled(true);
  label->setBuddy(path_);
  auto* show = new QPushButton(tr("&Which layer?"), this);
  show->setToolTip(tr("Find the layer the path comes from in the merged view"));
  row->addWidget(label);
  row->addWidget(path_, 1);
  row->addWidget(show);
  layout->addLayout(row);
  source_ = new QLabel(this);
  source_->setWordWrap(true);
  source_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(source_);
  auto* split = new QSplitter(Qt::Vertical, this);
  layers_ = table(model, split, tr("Layer stack"));
  entryTable_ = table(entries_, split, tr("Entries of the path"));
  split->addWidget(layers_);
  split->addWidget(entryTable_);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  layout->addWidget(split, 1);
  auto ask = [this] { emit pathRequested(path_->text().trimmed()); };
  connect(show, &QPushButton::clicked, this, ask);
  connect(path_, &QLineEdit::returnPressed, this, ask);
  connect(model, &LayerModel::stackChanged, this, &LayerView::updateSummary);
  updateSummary();
}

QString LayerView::sourceText() const {
  return source_->text();
}

void LayerView::updateSummary() {
  const ImageLayersEvent& s = model_->stack();
  if (!model_->hasStack()) {
    summary_->setText(
        model_->container().isEmpty()
            ? tr("<i>Watch a container to see its layers.</i>")
            : tr("<i>Reading the layers of %1\u2026</i>").arg(model_->container().toHtmlEscaped()));
    source_->clear();
    return;
  }
  int images = 0;
  for (const auto& l : s.layers)
    if (l.kind == QLatin1String("image")) ++images;
  summary_->setText(tr("<b>%1</b> runs image <b>%2</b> (%3): %n image layer(s), read-only, "
                       "under the container's own writable upper dir (overlayfs).",
                       nullptr, images)
                        .arg(s.container.toHtmlEscaped(), s.image.toHtmlEscaped(),
                             s.simulated ? tr("simulated") : shortDigest(s.imageDigest)));
  source_->setText(model_->sourceText());
  if (!s.path.isEmpty() && path_->text().trimmed().isEmpty()) path_->setText(s.path);
  if (s.source) {
    int row = model_->rowOfLayer(*s.source);
    if (row >= 0) layers_->scrollTo(model_->index(row, 0));
  }
}

}  // namespace boxlab::gui
