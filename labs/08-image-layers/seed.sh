# Sourced by step 1's setup (`set -- DEPTH FILES; . seed.sh`, with the lab's `boxlab`): builds
# lab08-seed, the learner's own image: base plus DEPTH layers, each adding FILES files of random
# bytes below /srv/seed, so its digests, its top layer and its layer count are this learner's.
# Done once: an existing lab08-seed is kept.
if ! boxlab image inspect lab08-seed >/dev/null 2>&1; then
  seed_from=base
  for seed_layer in $(seq "$1"); do
    boxlab rm -f lab08-seeder >/dev/null 2>&1
    boxlab run --name lab08-seeder "$seed_from" sh -c \
      "mkdir -p /srv/seed && for f in \$(seq $2); do head -c 16 /dev/urandom | od -An -tx1 > /srv/seed/layer$seed_layer-\$f; done" &&
      boxlab commit lab08-seeder lab08-seed >/dev/null &&
      boxlab rm lab08-seeder >/dev/null || {
      echo "lab 08: could not build lab08-seed" >&2
      exit 1
    }
    seed_from=lab08-seed
  done
fi
