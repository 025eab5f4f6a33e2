/* The change logs behind incremental checking (see track.h). */
#include "track.h"

struct vl_track vl_track;

void vl_track_start(void)
{
	vl_track_clear();
	vl_track.on = true;
}

void vl_track_stop(void)
{
	vl_track.on = false;
	vl_track_clear();
}

void vl_track_clear(void)
{
	vl_track.overflow = false;
	vl_track.nr_ptes = vl_track.nr_frees = vl_track.nr_counts = 0;
}

void vl_track_log_pte(pte_t *ptep, pte_t old, pte_t new)
{
	if (vl_track.nr_ptes == VL_TRACK_MAX) {
		vl_track.overflow = true;
		return;
	}
	vl_track.ptes[vl_track.nr_ptes++] = (struct vl_pte_write){ ptep, old, new };
}

void vl_track_log_free(uint32_t idx)
{
	if (vl_track.nr_frees == VL_TRACK_MAX) {
		vl_track.overflow = true;
		return;
	}
	vl_track.frees[vl_track.nr_frees++] = idx;
}

void vl_track_log_count(uint32_t nr)
{
	if (vl_track.nr_counts == VL_TRACK_MAX) {
		vl_track.overflow = true;
		return;
	}
	vl_track.counts[vl_track.nr_counts++] = (uint16_t)nr;
}
