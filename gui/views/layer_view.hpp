// The watched container's image layer stack (issue 7): upper dir on top, the image's layers
// below, each with its digest, size and host directory (the overlay's upperdir and
// lowerdirs); a path field asks which layer a path comes from, and a directory's entries are
// listed with the layer each one comes from.
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QTableView;

namespace boxlab::gui {

class LayerModel;
class LayerEntryModel;

class LayerView : public QWidget {
  Q_OBJECT
 public:
  explicit LayerView(LayerModel* model, QWidget* parent = nullptr);
  QLineEdit* pathEdit() const { return path_; }
  QString sourceText() const;

 signals:
  // Ask the engine for the stack again, with where `path` comes from ("" for none).
  void pathRequested(const QString& path);

 private:
  void updateSummary();

  LayerModel* model_;
  LayerEntryModel* entries_;
  QLabel* summary_;
  QLabel* source_;
  QLineEdit* path_;
  QTableView* layers_;
  QTableView* entryTable_;
};

}  // namespace boxlab::gui
