// cf/cf.hpp — everything of cf in one include.
#pragma once

#include "cf/codec.hpp"
#include "cf/errors.hpp"
#include "cf/executor.hpp"
#include "cf/future.hpp"
#include "cf/log.hpp"
#include "cf/process_pool.hpp"
#include "cf/thread_pool.hpp"
#include "cf/timeout.hpp"
#include "cf/wait.hpp"
