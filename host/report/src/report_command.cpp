#include "gear/report/report_command.h"

namespace gear::report {

int run_report(const ReportRequest& request) {
  (void)request;
  throw ReportError("gearhost report is not built yet");
}

}  // namespace gear::report
