// One image import as the GUI shows it: fed the `image.progress` events of its source (others
// are ignored), it knows how far the import got (bytes, layers, a percentage when the total is
// known) and how it ended, in words a learner reads. No widgets: the dialog draws it.
#pragma once

#include <QObject>
#include <QString>
#include <optional>

#include "event_values.hpp"

namespace boxlab::gui {

class ImportProgress : public QObject {
  Q_OBJECT
 public:
  enum class State { idle, running, done, failed };

  explicit ImportProgress(QObject* parent = nullptr);

  // A new import of `source` (as sent in image.import): forgets the previous one.
  void begin(const QString& source);
  // The import's reply (image.import): ends it when no done/failed event did (an import
  // refused before it started sends none). `error` empty means ok.
  void finish(const QString& error);

  State state() const { return state_; }
  QString source() const { return source_; }
  qint64 bytesDone() const { return bytesDone_; }
  std::optional<qint64> bytesTotal() const { return bytesTotal_; }
  int layersDone() const { return layersDone_; }
  std::optional<int> layersTotal() const { return layersTotal_; }
  // 0..100 when the total is known, else -1 (a layout directory until it is done).
  int percent() const;
  // Running: "1.0 MB of 2.2 MB, 0 layers checked" ("1.0 MB read, .." while the total is
  // unknown); done: "2.2 MB, 1 layer".
  QString summary() const;
  QString error() const { return error_; }
  const QVector<ImportedImage>& images() const { return images_; }

  // "2.1 MB": decimal units, as `boxlab image ls` prints sizes.
  static QString size(qint64 bytes);

 public slots:
  void onEvent(const boxlab::gui::ImageProgressEvent& e);

 signals:
  void changed();
  void finished(bool ok);

 private:
  void end(State state);

  State state_ = State::idle;
  QString source_;
  qint64 bytesDone_ = 0;
  std::optional<qint64> bytesTotal_;
  int layersDone_ = 0;
  std::optional<int> layersTotal_;
  QString error_;
  QVector<ImportedImage> images_;
};

}  // namespace boxlab::gui
