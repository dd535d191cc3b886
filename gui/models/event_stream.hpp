// The one stream parser: bytes from an engine's stdout -> lines -> validated events (the same
// validator as every other reader, boxlab::events::parse_event) -> value snapshots, delivered
// by signals. Malformed lines are reported and skipped; nothing in a line can stop the stream.
#pragma once

#include <QByteArray>
#include <QObject>
#include <string_view>

#include "event_values.hpp"

namespace boxlab::gui {

class EventStream : public QObject {
  Q_OBJECT
 public:
  // A line longer than this is dropped up to its newline and reported (serve's own limit on
  // its output is far below; this only bounds memory against a broken writer).
  static constexpr qsizetype kMaxLineBytes = 64 * 1024 * 1024;

  explicit EventStream(QObject* parent = nullptr);

  // Appends bytes; every complete line is parsed and delivered before this returns.
  void feed(const QByteArray& bytes);
  // Parses one line (without its newline) as if it had been fed.
  void feedLine(std::string_view line);
  // Delivers a last line without a newline (the writer exited mid-line).
  void finish();

  qint64 linesSeen() const { return lines_; }
  qint64 malformedSeen() const { return malformed_; }

 signals:
  void containerState(const boxlab::gui::ContainerStateEvent& e);
  void procTree(const boxlab::gui::ProcTreeEvent& e);
  void cgroupStats(const boxlab::gui::CgroupStatsEvent& e);
  void cgroupEvent(const boxlab::gui::CgroupEventEvent& e);
  void reply(const boxlab::gui::ReplyEvent& e);
  void consoleOutput(const boxlab::gui::ConsoleOutputEvent& e);
  void consoleClosed(const boxlab::gui::ConsoleClosedEvent& e);
  void checkResult(const boxlab::gui::CheckResultEvent& e);
  void labStep(const boxlab::gui::LabStepEvent& e);
  void log(const boxlab::gui::LogEvent& e);
  void netTopology(const boxlab::gui::NetTopologyEvent& e);
  void imageLayers(const boxlab::gui::ImageLayersEvent& e);
  void imageProgress(const boxlab::gui::ImageProgressEvent& e);
  void containerSecurity(const boxlab::gui::SecurityEvent& e);
  // A valid event of a type this client does not know (passed through by the schema rules).
  void unknownEvent(const QString& type, const boxlab::gui::EventHeader& header);
  void malformed(const boxlab::gui::MalformedLine& line);
  // The `backend` of the lines changed ("real", "sim"): the first line says it, then a change.
  void backendSeen(const QString& backend);

 private:
  void reportMalformed(std::string_view line, const QString& reason);

  QByteArray buffer_;
  bool skipping_ = false;  // inside an over-long line, dropping up to its newline
  qint64 lines_ = 0;
  qint64 malformed_ = 0;
  QString backend_;
};

}  // namespace boxlab::gui
