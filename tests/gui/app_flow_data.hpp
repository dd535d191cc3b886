// Test data of app_flow_test.cpp, kept apart: moc, which reads the test's own file, loses its
// way in these raw strings and finds no test class.
#pragma once

#include <QByteArray>

// A net.topology line: lab 09 at its fullest, with long names.
inline QByteArray lab09Topology() {
  QByteArray lo =
      R"({"name":"lo","index":1,"kind":"","up":true,"mac":"","master":"","peerIndex":0,"addresses":["127.0.0.1/8"]})";
  auto ns = [&](const char* name, int pid, const char* network, const char* ifname,
                const char* addr) {
    return QByteArray(R"({"name":")") + name + R"(","container":")" + name + R"(","pid":)" +
           QByteArray::number(pid) + R"(,"inode":4026532400,"network":)" + network +
           R"(,"interfaces":[)" + lo +
           (ifname
                ? QByteArray(R"(,{"name":")") + ifname +
                      R"(","index":2,"kind":"veth","up":true,"mac":"","master":"","peerIndex":7,"addresses":[")" +
                      addr + R"("]})"
                : QByteArray()) +
           "]}";
  };
  return QByteArray(
             R"({"v":1,"type":"net.topology","t":5,"hostNetns":{"inode":4026531992,"path":"/run/netns/the-engines-own-network-namespace"},)") +
         R"("networks":[{"name":"boxlab-lab09-very-long-network","subnet":"10.99.129.0/24","gateway":"10.99.129.1","bridge":"boxlab0"}],)"
         R"("bridges":[{"name":"boxlab0","network":"boxlab-lab09-very-long-network","present":true,"up":true,"addresses":["10.99.129.1/24"],"ports":["veth1a2b3c"]}],)"
         R"("ports":[{"host":18525,"container":80,"protocol":"tcp","containerName":"lab09-web-server-with-a-long-name","address":"10.99.129.2","proxyPid":25036,"proxyRunning":true}],)"
         R"("vethPairs":[{"host":"veth1a2b3c","bridge":"boxlab0","container":"lab09-web-server-with-a-long-name","containerIf":"eth0","present":true},)"
         R"({"host":"veth4d5e6f","bridge":"boxlab0","container":"lab09-client","containerIf":"eth0","present":true},)"
         R"({"host":"lab09-h","bridge":"","container":"lab09-alone","containerIf":"lab09-c","present":true,"byHand":true}],)"
         R"("namespaces":[{"name":"host","inode":4026531992,"interfaces":[)" +
         lo +
         R"(,{"name":"lab09-h","index":7,"kind":"veth","up":true,"mac":"","master":"","peerIndex":2,"addresses":["10.99.0.1/24"]}]},)" +
         ns("lab09-web-server-with-a-long-name", 2503512, R"("boxlab-lab09-very-long-network")",
            "eth0", "10.99.129.2/24") +
         "," +
         ns("lab09-client", 2503600, R"("boxlab-lab09-very-long-network")", "eth0",
            "10.99.129.3/24") +
         "," + ns("lab09-alone", 2503700, "null", "lab09-c", "10.99.0.2/24") + "," +
         ns("lab09-none-at-all", 2503800, "null", nullptr, nullptr) + "]}\n";
}
