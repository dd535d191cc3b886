#include "import_progress.hpp"

#include <QLocale>

namespace boxlab::gui {

ImportProgress::ImportProgress(QObject* parent) : QObject(parent) {}

QString ImportProgress::size(qint64 bytes) {
  return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

void ImportProgress::begin(const QString& source) {
  state_ = State::running;
  source_ = source;
  bytesDone_ = 0;
  bytesTotal_.reset();
  layersDone_ = 0;
  layersTotal_.reset();
  error_.clear();
  images_.clear();
  emit changed();
}

void ImportProgress::onEvent(const ImageProgressEvent& e) {
  if (state_ != State::running || e.source != source_) return;
  // Bytes never go back within one import (docs/events.md); a stale line must not either.
  bytesDone_ = std::max(bytesDone_, e.bytesDone);
  bytesTotal_ = e.bytesTotal;
  layersDone_ = std::max(layersDone_, e.layersDone);
  layersTotal_ = e.layersTotal;
  if (e.phase == QLatin1String("done")) {
    images_ = e.images;
    return end(State::done);
  }
  if (e.phase == QLatin1String("failed")) {
    error_ = e.error;
    return end(State::failed);
  }
  emit changed();
}

void ImportProgress::finish(const QString& error) {
  if (state_ != State::running) return;
  error_ = error;
  end(error.isEmpty() ? State::done : State::failed);
}

void ImportProgress::end(State state) {
  state_ = state;
  emit changed();
  emit finished(state == State::done);
}

int ImportProgress::percent() const {
  if (state_ == State::done) return 100;
  if (!bytesTotal_ || *bytesTotal_ <= 0) return -1;
  return int(std::min<qint64>(100, bytesDone_ * 100 / *bytesTotal_));
}

QString ImportProgress::summary() const {
  QString bytes = state_ == State::done ? size(bytesDone_)
                  : bytesTotal_ && *bytesTotal_ > 0
                      ? tr("%1 of %2").arg(size(bytesDone_), size(*bytesTotal_))
                      : tr("%1 read").arg(size(bytesDone_));
  int count = layersTotal_.value_or(layersDone_);
  QString noun = count == 1 ? tr("layer") : tr("layers");
  // While it runs, a layer counts once its blob is read and its digest checked.
  if (state_ == State::running) noun += tr(" checked");
  return tr("%1, %2 %3").arg(bytes).arg(count).arg(noun);
}

}  // namespace boxlab::gui
