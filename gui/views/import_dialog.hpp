// File > Import image: a `docker save` tarball or an OCI layout directory into the engine's
// store (serve `image.import`), with a progress bar and a line of bytes and layers fed by the
// import's `image.progress` events, the engine's error in words when it fails, and the store's
// images (`image.ls`) listed and refreshed once an import is in.
#pragma once

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QTreeWidget;
class QProgressBar;
class QPushButton;

namespace boxlab::gui {

class ImportProgress;
class Session;

class ImportDialog : public QDialog {
  Q_OBJECT
 public:
  // Talks to the engine through the session only.
  explicit ImportDialog(Session* session, QWidget* parent = nullptr);

  // Fills the fields and imports (what the Import button does).
  void start(const QString& source, const QString& name = {}, bool keepSetuid = false);
  bool running() const;

  ImportProgress* progress() const { return progress_; }
  QString statusText() const;
  QProgressBar* progressBar() const { return bar_; }
  QTreeWidget* imageList() const { return images_; }

 public slots:
  // Asks the engine for its images (`image.ls`) and lists them.
  void refreshImages();

 signals:
  void imported(const QString& name, const QString& digest);
  void imagesRefreshed();

 private:
  void importNow();
  void chooseArchive();
  void chooseLayout();
  void showProgress();
  void setBusy(bool busy);

  Session* session_;
  ImportProgress* progress_;
  QLineEdit* source_;
  QLineEdit* name_;
  QCheckBox* keepSetuid_;
  QProgressBar* bar_;
  QLabel* status_;
  QTreeWidget* images_;
  QPushButton* import_;
  QPushButton* archive_;
  QPushButton* layout_;
  QString result_;  // what the last reply said, shown under the bar
  bool failed_ = false;
};

}  // namespace boxlab::gui
