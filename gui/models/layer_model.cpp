#include "layer_model.hpp"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QLocale>

namespace boxlab::gui {

QString shortDigest(const QString& digest) {
  return digest.section(QLatin1Char(':'), -1).left(12);
}

LayerModel::LayerModel(QObject* parent) : QAbstractTableModel(parent) {}

void LayerModel::setContainer(const QString& name) {
  if (name == container_) return;
  container_ = name;
  clear();
}

void LayerModel::clear() {
  beginResetModel();
  stack_ = {};
  has_ = false;
  endResetModel();
  emit stackChanged();
}

void LayerModel::applyLayers(const ImageLayersEvent& e) {
  if (!container_.isEmpty() && e.container != container_) return;
  beginResetModel();
  stack_ = e;
  has_ = true;
  endResetModel();
  emit stackChanged();
}

const ImageLayer* LayerModel::layerAt(int row) const {
  if (row < 0 || row >= stack_.layers.size()) return nullptr;
  return &stack_.layers[stack_.layers.size() - 1 - row];
}

int LayerModel::rowOfLayer(int layerIndex) const {
  for (int r = 0; r < stack_.layers.size(); ++r)
    if (layerAt(r)->index == layerIndex) return r;
  return -1;
}

QString LayerModel::sourceText() const {
  if (!has_ || stack_.path.isEmpty()) return {};
  if (!stack_.source)
    return tr("%1 is not in the merged view (never there, or deleted)").arg(stack_.path);
  const ImageLayer* l = layerAt(rowOfLayer(*stack_.source));
  if (!l) return tr("%1 comes from layer %2").arg(stack_.path).arg(*stack_.source);
  if (l->kind == QLatin1String("upper"))
    return tr("%1 comes from the container's own upper dir (layer %2)")
        .arg(stack_.path)
        .arg(l->index);
  return tr("%1 comes from image layer %2 (%3)")
      .arg(stack_.path)
      .arg(l->index)
      .arg(shortDigest(l->digest));
}

int LayerModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(stack_.layers.size());
}

int LayerModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const ImageLayer* l = layerAt(index.row());
  if (!l) return {};
  bool upper = l->kind == QLatin1String("upper");
  bool source = stack_.source && *stack_.source == l->index;
  switch (role) {
    case Qt::DisplayRole:
      switch (index.column()) {
        case LayerColumn:
          return upper ? tr("%1  upper (the container's own)").arg(l->index)
                       : tr("%1  image layer").arg(l->index);
        case DigestColumn:
          if (l->simulated && !upper) return tr("simulated");
          return upper ? QString() : shortDigest(l->digest);
        case SizeColumn:
          if (l->simulated && !upper) return QString();  // nothing was built: no size
          return QLocale::system().formattedDataSize(l->size, 1, QLocale::DataSizeSIFormat);
        case DirColumn:
          return l->dir;
      }
      return {};
    case Qt::ToolTipRole:
      if (upper && l->simulated)
        return tr("A simulated container writes no files here: no program runs in it");
      if (upper) return tr("Writes of the container land here (overlayfs upperdir)");
      if (l->simulated)
        return tr(
            "Simulated: the image store of this root has no such image the simulator may "
            "read (boxlab image build-base makes it)");
      return tr("%1\nmedia type %2\ndiff id %3").arg(l->digest, l->mediaType, l->diffId);
    case Qt::FontRole:
      if (source) {
        QFont f;
        f.setBold(true);
        return f;
      }
      return {};
    case Qt::BackgroundRole:
      if (source) return QBrush(QColor(0xff, 0xe0, 0x82));
      return {};
    case Qt::ForegroundRole:
      if (source) return QBrush(QColor(0x20, 0x20, 0x20));  // readable on the highlight
      return {};
    case LayerIndexRole:
      return l->index;
    case IsSourceRole:
      return source;
    case KindRole:
      return l->kind;
    case EntryCountRole:
      return int(std::count_if(stack_.entries.begin(), stack_.entries.end(),
                               [&](const ImageLayerEntry& e) { return e.layer == l->index; }));
  }
  return {};
}

QVariant LayerModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case LayerColumn:
      return tr("Layer (top first)");
    case DigestColumn:
      return tr("Digest");
    case SizeColumn:
      return tr("Size");
    case DirColumn:
      return tr("Directory on the host");
  }
  return {};
}

LayerEntryModel::LayerEntryModel(LayerModel* layers, QObject* parent)
    : QAbstractTableModel(parent), layers_(layers) {
  connect(layers, &LayerModel::stackChanged, this, [this] {
    beginResetModel();
    entries_ = layers_->stack().entries;
    endResetModel();
  });
}

int LayerEntryModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(entries_.size());
}

int LayerEntryModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerEntryModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= entries_.size()) return {};
  const ImageLayerEntry& e = entries_[index.row()];
  if (role == LayerIndexRole) return e.layer;
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case NameColumn:
      return e.name;
    case TypeColumn:
      return e.type;
    case LayerColumn: {
      const ImageLayer* l = layers_->layerAt(layers_->rowOfLayer(e.layer));
      if (l && l->kind == QLatin1String("upper")) return tr("%1 upper").arg(e.layer);
      return l ? QStringLiteral("%1 %2").arg(e.layer).arg(shortDigest(l->digest))
               : QString::number(e.layer);
    }
  }
  return {};
}

QVariant LayerEntryModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case NameColumn:
      return tr("Entry");
    case TypeColumn:
      return tr("Type");
    case LayerColumn:
      return tr("From layer");
  }
  return {};
}

}  // namespace boxlab::gui
