#include "doorbells.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <new>
#include <stdexcept>

namespace cf::detail {
namespace {

constexpr std::size_t kLine = 64;  // one counter per cache line

std::size_t bytes_for(std::size_t slots) {
  auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::size_t bytes = (2 + slots) * kLine;
  return (bytes + page - 1) / page * page;
}

void* map_shared(int fd, std::size_t size) {
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) throw_errno("mmap of the doorbells");
  return base;
}

}  // namespace

Doorbells::Doorbells(std::size_t slots)
    : fd_(::memfd_create("cf-doorbells", MFD_CLOEXEC)), size_(bytes_for(slots)), slots_(slots) {
  if (!fd_) throw_errno("memfd_create");
  if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) throw_errno("ftruncate");
  base_ = map_shared(fd_.get(), size_);  // a new memfd reads as zeros
  for (std::size_t i = 0; i < 2 + slots_; ++i) {
    new (static_cast<char*>(base_) + i * kLine) Counter(0);
  }
}

Doorbells::Doorbells(int fd, std::size_t slot) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("fstat of the doorbells");
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ < (3 + slot) * kLine) throw std::out_of_range("doorbell slot is not in the mapping");
  slots_ = size_ / kLine - 2;
  base_ = map_shared(fd, size_);
}

Doorbells::~Doorbells() {
  if (base_) ::munmap(base_, size_);
}

Doorbells::Counter& Doorbells::line(std::size_t i) {
  return *std::launder(reinterpret_cast<Counter*>(static_cast<char*>(base_) + i * kLine));
}

}  // namespace cf::detail
