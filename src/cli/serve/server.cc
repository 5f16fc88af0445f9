// voxcache serve: the HTTP side of the web inspector (docs/serve.md). Routes
// requests to the Inspector, serves the pages compiled into the binary and
// NiiVue's bundle from one known file, and enforces the safety rules: read
// only, loopback unless a token is required, GET and HEAD only, bounded
// requests.

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "cli/serve/inspector.h"
#include "cli/serve/web_assets.h"

namespace voxcache::cli {
namespace {

namespace fs = std::filesystem;
using serve::Inspector;
using serve::Reply;

bool is_loopback(const std::string& bind) {
  return bind == "localhost" || bind == "::1" || bind.rfind("127.", 0) == 0;
}

// Equal strings, in a time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % (b.empty() ? 1 : b.size())];
  return diff == 0 && !b.empty();
}

// The value of cookie `name` in a Cookie header; empty when absent.
std::string cookie(const std::string& header, const std::string& name) {
  size_t at = 0;
  while (at < header.size()) {
    const size_t end = std::min(header.find(';', at), header.size());
    std::string pair = header.substr(at, end - at);
    pair.erase(0, pair.find_first_not_of(' '));
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    at = end + 1;
  }
  return std::string();
}

// NiiVue's browser bundle: --web-dir, else beside the binary (the build
// tree), else where the packages install it.
std::optional<std::string> find_niivue(const std::string& web_dir) {
  std::vector<fs::path> dirs;
  if (!web_dir.empty()) {
    dirs.emplace_back(web_dir);
  } else {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      dirs.push_back(exe.parent_path() / "web");
      dirs.push_back(exe.parent_path().parent_path() / "share" / "voxcache" / "web");
    }
  }
  for (const fs::path& d : dirs) {
    std::error_code ec;
    if (fs::is_regular_file(d / "niivue.umd.js", ec)) return (d / "niivue.umd.js").string();
  }
  return std::nullopt;
}

void send(const Reply& r, httplib::Response& res) {
  res.status = r.status;
  for (const auto& [name, value] : r.headers) res.set_header(name, value);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(r.body, r.type);
}

serve::Params params(const httplib::Request& req) {
  serve::Params q;
  for (const auto& [name, value] : req.params) q.emplace(name, value);  // the first of each
  return q;
}

}  // namespace

int cmd_serve(const Globals& g, const ServeArgs& args) {
  if (!is_loopback(args.bind) && args.token.empty()) {
    std::cerr << "voxcache serve: binding " << args.bind
              << " would show the cache to the network: give --token SECRET (then required in "
                 "every request), or bind 127.0.0.1\n";
    return kExitUsage;
  }
  if (args.port < 0 || args.port > 65535) {
    std::cerr << "voxcache serve: --port is 0 to 65535\n";
    return kExitUsage;
  }
  // SIGINT and SIGTERM stop the server from a thread of their own (stop()
  // is not safe inside a signal handler). Blocked before any thread starts,
  // the cache's among them, so that every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  Globals ro = g;
  ro.read_only = true;  // no request can change the database
  auto cache = open_cache(ro, false, /*record_reads=*/false);
  if (!cache.ok()) return fail(cache.status());

  ScratchDir scratch;  // the files ITK writes for volume replies
  if (Status s = scratch.Create("voxcache-serve"); !s.ok()) return fail(s);
  Inspector inspector(cache->get(), scratch.path());
  const std::optional<std::string> niivue = find_niivue(args.web_dir);

  httplib::Server server;
  server.set_payload_max_length(64 * 1024);  // GET requests carry no body worth more
  server.set_read_timeout(10, 0);
  server.set_write_timeout(60, 0);
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET" && req.method != "HEAD") {
      send(Inspector::Error(Status::InvalidArgument("the inspector is read-only: GET only")), res);
      res.status = 405;
      return httplib::Server::HandlerResponse::Handled;
    }
    if (args.token.empty()) return httplib::Server::HandlerResponse::Unhandled;
    // The token of ?token=, Authorization: Bearer, or the cookie a page
    // opened with ?token= was given, so that its scripts, images and the
    // viewer's volumes carry it too.
    std::string given = req.get_param_value("token");
    const bool in_query = !given.empty();
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
    if (given.empty()) given = cookie(req.get_header_value("Cookie"), "voxcache_token");
    if (same_secret(given, args.token)) {
      if (in_query) {
        res.set_header("Set-Cookie",
                       "voxcache_token=" + given + "; Path=/; HttpOnly; SameSite=Strict");
      }
      return httplib::Server::HandlerResponse::Unhandled;
    }
    send(Inspector::Error(Status::InvalidArgument("a token is required: ?token= or "
                                                  "Authorization: Bearer")),
         res);
    res.status = 401;
    return httplib::Server::HandlerResponse::Handled;
  });

  auto page = [](const char* name) {
    return [name](const httplib::Request&, httplib::Response& res) {
      const serve::WebAsset* a = serve::find_web_asset(name);
      res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->type);
    };
  };
  server.Get("/", page("index.html"));
  server.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) {
    res.status = 204;  // none: a browser asks for it on every page
  });
  server.Get(R"(/entries/([0-9a-f]{8,64}))", page("entry.html"));
  server.Get(
      R"(/static/([a-z_]+(\.[a-z]+)+))", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string name = req.matches[1];
        if (name == "niivue.umd.js" && niivue) {
          std::ifstream in(*niivue, std::ios::binary);
          std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
          res.set_header("Cache-Control", "public, max-age=86400");
          // Not text/javascript: see Reply::type (inspector.h) on compression.
          res.set_content(body, "application/javascript; charset=utf-8");
          return;
        }
        const serve::WebAsset* a = serve::find_web_asset(name);
        if (!a) return send(Inspector::Error(Status::NotFound("no " + name)), res);
        res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->type);
      });
  server.Get("/api/stats", [&](const httplib::Request&, httplib::Response& res) {
    send(inspector.stats(), res);
  });
  server.Get("/api/entries", [&](const httplib::Request& req, httplib::Response& res) {
    send(inspector.entries(params(req)), res);
  });
  server.Get(R"(/api/entries/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    send(inspector.entry(req.matches[1]), res);
  });
  server.Get(R"(/api/entries/([^/]+)/([a-z.]+))",
             [&](const httplib::Request& req, httplib::Response& res) {
               const std::string key = req.matches[1], what = req.matches[2];
               if (what == "lineage") return send(inspector.lineage(key), res);
               if (what == "slice.png") return send(inspector.slice_png(key, params(req)), res);
               if (what == "thumbnail.png") return send(inspector.thumbnail_png(key), res);
               if (what == "volume.nii") return send(inspector.volume_nifti(key, params(req)), res);
               if (what == "region") return send(inspector.region(key, params(req)), res);
               send(Inspector::Error(Status::NotFound("no API call '" + what + "'")), res);
             });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) send(Inspector::Error(Status::NotFound("no such page")), res);
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send(Inspector::Error(Status::IOError("the request failed inside the server")), res);
      });

  int port = args.port;
  if (port == 0) {
    port = server.bind_to_any_port(args.bind);
  } else if (!server.bind_to_port(args.bind, port)) {
    port = -1;
  }
  if (port < 0) {
    return fail(Status::IOError("cannot listen on " + args.bind + ":" + std::to_string(args.port)));
  }
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  });
  const std::string host =
      args.bind.find(':') != std::string::npos ? "[" + args.bind + "]" : args.bind;
  std::printf("voxcache serve: http://%s:%d/ (read-only: %s)\n", host.c_str(), port,
              (*cache)->path().c_str());
  if (!niivue) {
    std::printf("voxcache serve: NiiVue not found (niivue.umd.js); entry pages show PNG slices\n");
  }
  std::fflush(stdout);
  const bool ok = server.listen_after_bind();
  // Wake the stopper if the server ended on its own.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  return ok ? 0 : fail(Status::IOError("the server stopped"));
}

}  // namespace voxcache::cli
