// `boxlab grade ... --emit k8s-jobs DIR`: for a class too large for one machine, one Kubernetes
// Job (batch/v1) per submission, each running the same grading as here inside a grading image
// that holds this boxlab, the exercise and the base image. The Job's pod reads the submissions
// from a volume (a PersistentVolumeClaim) and writes the signed record beside them; the
// instructor collects the records and renders the reports with the usual formats.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"

namespace boxlab::grade {

namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

// A DNS-1123 label (what a Job's name must be): lower case alphanumerics and '-', at most 63,
// starting and ending alphanumeric. The Job's pods append a suffix, so names stay shorter.
std::string dns_label(const std::string& text, std::size_t max) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    char l = static_cast<char>(std::tolower(u));
    if (std::isalnum(u))
      out += l;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  if (out.size() > max) out.resize(max);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "x" : out;
}

// A label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends.
std::string label_value(const std::string& text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) || c == '.' || c == '_' || c == '-' ? c : '_';
  }
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.back()))) out.pop_back();
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(0, 1);
  return out;
}

// "256M" -> "256Mi" (Kubernetes quantities: binary suffixes are Ki, Mi, Gi).
std::string quantity(const std::string& memory) {
  if (memory.empty()) return "256Mi";
  char last = memory.back();
  if (last == 'k' || last == 'K') return memory.substr(0, memory.size() - 1) + "Ki";
  if (last == 'm' || last == 'M') return memory.substr(0, memory.size() - 1) + "Mi";
  if (last == 'g' || last == 'G') return memory.substr(0, memory.size() - 1) + "Gi";
  return memory;
}

}  // namespace

json k8s_job(const Exercise& ex, const fsys::path& submission, const K8sOptions& opts) {
  std::string student = student_name(submission);
  std::string file = submission.lexically_normal().filename().string();
  if (file.empty()) file = submission.lexically_normal().parent_path().filename().string();
  std::string name = "grade-" + dns_label(ex.number, 8) + "-" + dns_label(student, 40);
  json labels = {{"app.kubernetes.io/name", "boxlab-grade"},
                 {"boxlab/exercise", label_value(ex.id)},
                 {"boxlab/student", label_value(student)}};
  const std::string subs = "/submissions";
  // The whole grading's bound: the build, the start, each check with its retries, and margin.
  int deadline = static_cast<int>(std::ceil(ex.limits.build_seconds + ex.limits.start_seconds +
                                            3 * ex.limits.check_seconds *
                                                static_cast<double>(ex.checks.steps.size()))) +
                 300;
  json container = {
      {"name", "grade"},
      {"image", opts.image},
      {"imagePullPolicy", "IfNotPresent"},
      {"command",
       {"/usr/local/bin/boxlab", "grade", "/opt/boxlab/exercises/" + ex.id, subs + "/" + file,
        "--format", "text", "--records", subs + "/records", "--key", "/etc/boxlab/grade.key"}},
      // The grader makes namespaces, mounts and cgroups for its own containers: the pod runs
      // privileged, as a node-level sandbox (the submission itself runs in boxlab's confinement).
      {"securityContext", {{"privileged", true}}},
      {"resources",
       {{"requests",
         {{"cpu", std::to_string(static_cast<int>(std::ceil(ex.limits.cpus)))},
          {"memory", quantity(ex.limits.memory)}}},
        {"limits", {{"memory", "1Gi"}}}}},
      {"volumeMounts",
       {{{"name", "submissions"}, {"mountPath", subs}},
        {{"name", "grade-key"}, {"mountPath", "/etc/boxlab"}, {"readOnly", true}}}}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", name}, {"namespace", opts.k8s_namespace}, {"labels", labels}}},
          {"spec",
           {{"backoffLimit", 0},  // a grade is run once: a retry could differ
            {"activeDeadlineSeconds", deadline},
            {"ttlSecondsAfterFinished", 86400},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec",
               {{"restartPolicy", "Never"},
                {"automountServiceAccountToken", false},
                {"enableServiceLinks", false},
                {"containers", {container}},
                {"volumes",
                 {{{"name", "submissions"}, {"persistentVolumeClaim", {{"claimName", opts.claim}}}},
                  {{"name", "grade-key"},
                   {"secret", {{"secretName", opts.key_secret}, {"defaultMode", 0400}}}}}}}}}}}}};
}

std::vector<fsys::path> write_k8s_jobs(const Exercise& ex,
                                       const std::vector<fsys::path>& submissions,
                                       const K8sOptions& opts, const fsys::path& dir) {
  fsys::create_directories(dir);
  std::vector<fsys::path> out;
  for (const auto& s : submissions) {
    json job = k8s_job(ex, s, opts);
    fsys::path file = dir / (job["metadata"]["name"].get<std::string>() + ".json");
    if (std::find(out.begin(), out.end(), file) != out.end())
      throw Error(ErrorKind::bad_input,
                  "--emit k8s-jobs: two submissions make the same Job name: " + file.string());
    // JSON is YAML: `kubectl apply -f DIR` takes these files as they are.
    write_file_atomic(file, job.dump(2) + "\n");
    out.push_back(file);
  }
  return out;
}

}  // namespace boxlab::grade
