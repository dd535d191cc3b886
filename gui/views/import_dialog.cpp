#include "import_dialog.hpp"

#include <QCheckBox>
#include <QColor>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPalette>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "import_progress.hpp"
#include "session.hpp"

namespace boxlab::gui {

ImportDialog::ImportDialog(Session* session, QWidget* parent)
    : QDialog(parent), session_(session), progress_(new ImportProgress(this)) {
  setWindowTitle(tr("Import image"));
  setMinimumWidth(560);
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  auto* sourceRow = new QHBoxLayout;
  source_ = new QLineEdit(this);
  source_->setPlaceholderText(tr("a docker save .tar or an OCI layout folder"));
  archive_ = new QPushButton(tr("&Archive\u2026"), this);
  archive_->setToolTip(tr("Choose a `docker save` tarball (.tar or .tar.gz)"));
  layout_ = new QPushButton(tr("&Layout folder\u2026"), this);
  layout_->setToolTip(tr("Choose an OCI image layout directory (it holds index.json)"));
  sourceRow->addWidget(source_, 1);
  sourceRow->addWidget(archive_);
  sourceRow->addWidget(layout_);
  auto* sourceLabel = new QLabel(tr("&Source"), this);
  sourceLabel->setBuddy(source_);  // a row of widgets: the label needs its buddy named
  form->addRow(sourceLabel, sourceRow);
  name_ = new QLineEdit(this);
  name_->setPlaceholderText(tr("optional: the tag the source carries"));
  form->addRow(tr("&Name"), name_);
  keepSetuid_ = new QCheckBox(tr("&Keep setuid/setgid bits (cleared by default)"), this);
  form->addRow(QString(), keepSetuid_);
  layout->addLayout(form);

  bar_ = new QProgressBar(this);
  bar_->setRange(0, 100);
  bar_->setValue(0);
  bar_->setTextVisible(true);
  layout->addWidget(bar_);
  status_ = new QLabel(tr("Choose what to import."), this);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(status_);

  auto* listLabel = new QLabel(tr("Images in the store:"), this);
  images_ = new QTreeWidget(this);
  images_->setAccessibleName(tr("Images in the store"));
  images_->setHeaderLabels({tr("Name"), tr("Digest"), tr("Layers"), tr("Size")});
  images_->setRootIsDecorated(false);
  images_->header()->setStretchLastSection(false);
  images_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
  images_->setMinimumHeight(90);
  listLabel->setBuddy(images_);
  layout->addWidget(listLabel);
  layout->addWidget(images_, 1);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  import_ = buttons->addButton(tr("&Import"), QDialogButtonBox::AcceptRole);
  import_->setDefault(true);
  layout->addWidget(buttons);

  connect(archive_, &QPushButton::clicked, this, &ImportDialog::chooseArchive);
  connect(layout_, &QPushButton::clicked, this, &ImportDialog::chooseLayout);
  connect(import_, &QPushButton::clicked, this, &ImportDialog::importNow);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(source_, &QLineEdit::returnPressed, this, &ImportDialog::importNow);
  // The session passes the stream's events on as they come, in order with replies.
  connect(session_, &Session::imageProgress, progress_, &ImportProgress::onEvent);
  connect(progress_, &ImportProgress::changed, this, &ImportDialog::showProgress);
  refreshImages();
}

bool ImportDialog::running() const {
  return progress_->state() == ImportProgress::State::running;
}

QString ImportDialog::statusText() const {
  return status_->text();
}

void ImportDialog::chooseArchive() {
  QString file =
      QFileDialog::getOpenFileName(this, tr("Import a docker save archive"), QDir::homePath(),
                                   tr("Image archives (*.tar *.tar.gz *.tgz);;All files (*)"));
  if (!file.isEmpty()) source_->setText(file);
}

void ImportDialog::chooseLayout() {
  QString dir =
      QFileDialog::getExistingDirectory(this, tr("Import an OCI image layout"), QDir::homePath());
  if (!dir.isEmpty()) source_->setText(dir);
}

void ImportDialog::start(const QString& source, const QString& name, bool keepSetuid) {
  source_->setText(source);
  name_->setText(name);
  keepSetuid_->setChecked(keepSetuid);
  importNow();
}

void ImportDialog::setBusy(bool busy) {
  for (QWidget* w : {static_cast<QWidget*>(source_), static_cast<QWidget*>(name_),
                     static_cast<QWidget*>(keepSetuid_), static_cast<QWidget*>(archive_),
                     static_cast<QWidget*>(layout_), static_cast<QWidget*>(import_)})
    w->setEnabled(!busy);
}

void ImportDialog::importNow() {
  if (running()) return;
  QString source = source_->text().trimmed();
  result_.clear();
  failed_ = false;
  if (source.isEmpty()) {
    failed_ = true;
    result_ = tr("Choose an archive or a layout folder first.");
    return showProgress();
  }
  if (!session_->canImportImages()) {
    failed_ = true;
    result_ =
        session_->isEngineReady()
            ? tr("This engine cannot import images (it has no %1).").arg(Session::importCommand())
            : tr("The engine is not running.");
    return showProgress();
  }
  // serve takes absolute paths only: its working directory is not ours.
  source = QFileInfo(source).absoluteFilePath();
  progress_->begin(source);
  setBusy(true);
  QPointer<ImportDialog> self(this);
  session_->importImage(
      source, name_->text().trimmed(), keepSetuid_->isChecked(), [self](const ReplyEvent& r) {
        if (!self) return;
        self->failed_ = !r.ok;
        if (r.ok) {
          QString name = r.body.value(QLatin1String("name")).toString();
          QString digest = r.body.value(QLatin1String("digest")).toString();
          int layers = r.body.value(QLatin1String("layers")).toInt();
          self->result_ = tr("Imported %1: %2, %3 %4, %5")
                              .arg(name, digest.left(19) + QStringLiteral("\u2026"))
                              .arg(layers)
                              .arg(layers == 1 ? tr("layer") : tr("layers"))
                              .arg(ImportProgress::size(static_cast<qint64>(
                                  r.body.value(QLatin1String("size")).toDouble())));
          self->progress_->finish({});
          self->refreshImages();
          emit self->imported(name, digest);
        } else {
          // A failed import's error already says where (source, entry); the rest need the context.
          self->result_ =
              r.code == QLatin1String("failed") ? r.error : Session::describeImportFailure(r);
          self->progress_->finish(self->result_);
        }
        self->setBusy(false);
        self->showProgress();
      });
  showProgress();
}

void ImportDialog::showProgress() {
  const ImportProgress& p = *progress_;
  int percent = p.percent();
  if (p.state() == ImportProgress::State::running && percent < 0) {
    bar_->setRange(0, 0);  // busy: a layout folder's size is known only at the end
  } else {
    bar_->setRange(0, 100);
    bar_->setValue(std::max(percent, 0));
  }
  QString text;
  if (p.state() == ImportProgress::State::running) {
    text = tr("Importing %1\n%2").arg(QFileInfo(p.source()).fileName(), p.summary());
  } else if (!result_.isEmpty()) {
    text = failed_ ? tr("Import failed:\n%1").arg(result_) : result_;
  } else if (p.state() == ImportProgress::State::failed) {
    text = tr("Import failed:\n%1").arg(p.error());  // the reply is on its way
  } else {
    text = status_->text();
  }
  status_->setText(text);
  QPalette pal = palette();
  if (failed_) pal.setColor(QPalette::WindowText, QColor(0xb0, 0x20, 0x20));
  status_->setPalette(pal);
  bar_->setFormat(failed_ ? tr("failed") : QStringLiteral("%p%"));
  if (failed_) bar_->setValue(0);
}

void ImportDialog::refreshImages() {
  QPointer<ImportDialog> self(this);
  session_->listImages([self](const ReplyEvent& r) {
    if (!self) return;
    self->images_->clear();
    if (!r.ok) {
      self->images_->addTopLevelItem(
          new QTreeWidgetItem(QStringList{Session::describeImageListFailure(r)}));
    } else {
      for (const auto& v : r.body.value(QLatin1String("images")).toArray()) {
        QJsonObject img = v.toObject();
        QString digest = img.value(QLatin1String("digest")).toString();
        auto* item = new QTreeWidgetItem(QStringList{
            img.value(QLatin1String("name")).toString(), digest.left(19) + QStringLiteral("\u2026"),
            QString::number(img.value(QLatin1String("layers")).toInt()),
            ImportProgress::size(
                static_cast<qint64>(img.value(QLatin1String("size")).toDouble()))});
        item->setToolTip(1, digest);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(3, Qt::AlignRight | Qt::AlignVCenter);
        self->images_->addTopLevelItem(item);
      }
      for (int c = 1; c < self->images_->columnCount(); ++c)
        self->images_->resizeColumnToContents(c);
    }
    emit self->imagesRefreshed();
  });
}

}  // namespace boxlab::gui
