// The native uWebSockets peer of echo.sh: the C++ library that uWebSockets.js wraps, built from
// the sources the crates.io package libuwebsockets-sys 0.0.10 ships (see build.sh), for machines
// whose glibc is too old for uWebSockets.js's prebuilt binaries. It echoes every message with
// the same settings as uws_echo.cjs: no compression, maxPayloadLength 64 KiB, the rest default.
//
//   uws_echo [HOST:]PORT
#include <cstdio>
#include <cstdlib>
#include <string>

#include "App.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: uws_echo [HOST:]PORT\n");
        return 2;
    }
    std::string arg = argv[1];
    std::string host = "127.0.0.1";
    auto colon = arg.rfind(':');
    if (colon != std::string::npos) {
        host = arg.substr(0, colon);
        arg = arg.substr(colon + 1);
    }
    int port = std::atoi(arg.c_str());
    struct Conn {};
    uWS::App()
        .ws<Conn>("/*", {
            .compression = uWS::DISABLED,
            .maxPayloadLength = 64 * 1024,
            .message = [](auto *ws, std::string_view message, uWS::OpCode op) { ws->send(message, op); },
        })
        .listen(host, port, [&](auto *token) {
            if (!token) {
                std::fprintf(stderr, "error: cannot listen on %s:%d\n", host.c_str(), port);
                std::exit(1);
            }
        })
        .run();
    return 0;
}
